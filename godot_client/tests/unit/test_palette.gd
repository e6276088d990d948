extends "res://tests/test_case.gd"
## StudioPalette: a colour for every class of any data set, and the point shader's texture of them.


func test_two_hundred_classes_get_two_hundred_distinct_colours() -> void:
	var seen: Dictionary = {}
	for label in 200:
		var colour: Color = StudioPalette.label_color(label)
		check(colour != StudioPalette.UNLABELLED, "class %d is not drawn as unlabelled" % label)
		seen[colour.to_html(false)] = label
	check_eq(seen.size(), 200, "distinct colours")


func test_the_first_ten_are_the_hand_picked_ones_and_none_is_neutral() -> void:
	for label in StudioPalette.LABELS.size():
		check_eq(StudioPalette.label_color(label), StudioPalette.LABELS[label], "class %d" % label)
	check_eq(StudioPalette.label_color(-1), StudioPalette.UNLABELLED, "no label")
	check_eq(
		StudioPalette.label_color(StudioPalette.PALETTE_SIZE),
		StudioPalette.UNLABELLED,
		"past the palette"
	)


func test_the_shader_texture_holds_each_class_and_unlabelled_last() -> void:
	var image: Image = StudioPalette.make_texture().get_image()
	check_eq(image.get_width(), StudioPalette.PALETTE_SIZE, "one texel per class")
	for label: int in [0, 9, 10, 37, 500]:
		var want: Color = StudioPalette.label_color(label)
		var got: Color = image.get_pixel(label, 0)
		var off: float = maxf(
			absf(got.r - want.r), maxf(absf(got.g - want.g), absf(got.b - want.b))
		)
		check(off <= 1.0 / 255.0, "texel %d: %s, want %s (8-bit)" % [label, got, want])
	var last: Color = image.get_pixel(StudioPalette.PALETTE_SIZE - 1, 0)
	check(last.is_equal_approx(StudioPalette.UNLABELLED), "the last texel is unlabelled")
