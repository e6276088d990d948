extends "res://tests/test_case.gd"
## Paths between two z for the Interpolate tab (linear and spherical) and pins fitted to a new
## latent width.


func test_lerp_path_has_the_ends_and_even_steps() -> void:
	var a := PackedFloat32Array([0, 2])
	var b := PackedFloat32Array([4, -2])
	var path: Array[PackedFloat32Array] = StudioZMath.lerp_path(a, b, 5)
	check_eq(path.size(), 5, "five points")
	check_eq(path[0], a, "starts at a")
	check_eq(path[4], b, "ends at b")
	check_eq(path[2], PackedFloat32Array([2, 0]), "the middle is the mean")
	check_eq(path[1], PackedFloat32Array([1, 1]), "a quarter of the way")
	check(StudioZMath.lerp_path(a, PackedFloat32Array([1]), 5).is_empty(), "widths differ")
	check(StudioZMath.lerp_path(a, b, 1).is_empty(), "fewer than two steps")


func test_slerp_turns_by_equal_angles_and_keeps_the_norm_of_equal_ends() -> void:
	var a := PackedFloat32Array([2, 0, 0])
	var b := PackedFloat32Array([0, 2, 0])
	var path: Array[PackedFloat32Array] = StudioZMath.slerp_path(a, b, 5)
	check_eq(path.size(), 5, "five points")
	check_eq(path[0], a, "starts at a exactly")
	check_eq(path[4], b, "ends at b exactly")
	for z in path:
		check(absf(StudioZMath.norm(z) - 2.0) < 1e-5, "norm 2 all along: %s" % z)
	var mid: PackedFloat32Array = path[2]
	check(absf(mid[0] - sqrt(2.0)) < 1e-5 and absf(mid[1] - sqrt(2.0)) < 1e-5, "45° at the middle")
	for i in 4:
		var turn: float = acos(StudioZMath.dot(path[i], path[i + 1]) / 4.0)
		check(absf(turn - PI / 8.0) < 1e-4, "each step turns by 90° / 4: %f" % turn)
	# A line would cut inside: its middle has norm √2.
	check(StudioZMath.norm(StudioZMath.lerp_path(a, b, 5)[2]) < 1.5, "lerp cuts the corner")


func test_slerp_norm_goes_linearly_between_unequal_ends() -> void:
	var a := PackedFloat32Array([1, 0])
	var b := PackedFloat32Array([0, 3])
	var path: Array[PackedFloat32Array] = StudioZMath.slerp_path(a, b, 3)
	check(absf(StudioZMath.norm(path[1]) - 2.0) < 1e-5, "halfway between norms 1 and 3")


func test_slerp_of_parallel_or_zero_ends_is_a_line() -> void:
	var a := PackedFloat32Array([1, 1])
	var b := PackedFloat32Array([2, 2])
	check_eq(StudioZMath.slerp_path(a, b, 3), StudioZMath.lerp_path(a, b, 3), "same direction")
	var zero := PackedFloat32Array([0, 0])
	check_eq(StudioZMath.slerp_path(zero, b, 3), StudioZMath.lerp_path(zero, b, 3), "from 0")


func test_resize_cuts_or_pads_with_the_center() -> void:
	var z := PackedFloat32Array([1, 2, 3])
	var center := PackedFloat32Array([9, 8, 7, 6, 5])
	check_eq(StudioZMath.resize(z, 2, center), PackedFloat32Array([1, 2]), "cut")
	check_eq(StudioZMath.resize(z, 5, center), PackedFloat32Array([1, 2, 3, 6, 5]), "padded")
	check_eq(StudioZMath.resize(z, 4, PackedFloat32Array()), PackedFloat32Array([1, 2, 3, 0]), "0s")


func test_pins_fit_a_new_latent_width_and_say_so() -> void:
	var pins := StudioPins.new()
	var changes: Array[int] = [0]
	pins.changed.connect(func() -> void: changes[0] += 1)
	check(pins.add(PackedFloat32Array([1, 2])), "pinned")
	check(not pins.add(PackedFloat32Array()), "an empty z is not pinned")
	check(pins.add(PackedFloat32Array([3, 4])), "pinned again")
	check(not pins.fit(2, PackedFloat32Array([0, 0])), "same width: nothing to do")
	check(pins.note.is_empty(), "no note yet")
	check(pins.fit(3, PackedFloat32Array([7, 7, 7])), "wider")
	check_eq(pins.items[1], PackedFloat32Array([3, 4, 7]), "padded with the new center")
	check(pins.note.contains("2 to 3") and pins.note.contains("padded"), pins.note)
	check(pins.fit(1, PackedFloat32Array([0])), "narrower")
	check_eq(pins.items[0], PackedFloat32Array([1]), "cut")
	check(pins.note.contains("cut"), pins.note)
	pins.remove(0)
	check_eq(pins.size(), 1, "one left")
	pins.clear()
	check_eq(changes[0], 6, "every change announced")


func test_pins_stop_at_the_maximum() -> void:
	var pins := StudioPins.new()
	for i in StudioPins.MAX_PINS:
		pins.add(PackedFloat32Array([i]))
	check(pins.is_full(), "full")
	check(not pins.add(PackedFloat32Array([99])), "no more than MAX_PINS")
	check_eq(pins.size(), StudioPins.MAX_PINS, "count")


func test_sliders_order_by_kl_most_active_first() -> void:
	var order: PackedInt32Array = ZSlidersPanel.kl_order(PackedFloat32Array([0.1, 2.0, 0.0, 2.0]))
	check_eq(order, PackedInt32Array([1, 3, 0, 2]), "descending KL, ties by index")


func test_filmstrip_tiles_are_as_large_as_fits() -> void:
	check_eq(InterpolationPanel.tile_side(12, Vector2(400, 300), 3, 24, 128), 97, "4 a row, 3 rows")
	check_eq(InterpolationPanel.tile_side(2, Vector2(400, 300), 3, 24, 128), 128, "at most hi")
	check_eq(InterpolationPanel.tile_side(999, Vector2(100, 100), 3, 24, 128), 24, "lo: scrolls")
