extends "res://tests/test_case.gd"
## The main screen's sizing rules (StudioLayout) at the window sizes the Studio takes, from its
## smallest (1024 × 600) to a 4K screen, and the status bar's shortening of a long run name.


func test_a_4k_window_is_drawn_at_twice_the_size_of_a_full_hd_one() -> void:
	check_eq(StudioLayout.content_scale(Vector2i(3840, 2160), Vector2i.ZERO), 2.0, "4K: twice")
	check_eq(StudioLayout.content_scale(Vector2i(1920, 1080), Vector2i.ZERO), 1.0, "full HD: 1")
	check_eq(StudioLayout.content_scale(Vector2i(1024, 600), Vector2i.ZERO), 1.0, "smallest: 1")
	check_eq(StudioLayout.content_scale(Vector2i(2560, 1440), Vector2i.ZERO), 1.25, "in steps")
	check_eq(
		StudioLayout.content_scale(Vector2i(1920, 1080), Vector2i(3840, 2160)),
		1.75,
		"a full-HD window on a 4K screen: larger, as far as 1024 × 600 still fits"
	)
	check_eq(
		StudioLayout.content_scale(Vector2i(1280, 720), Vector2i(3840, 2160)),
		1.0,
		"a small window on a 4K screen keeps room for the layout"
	)


func test_the_side_column_takes_a_share_of_the_width_between_its_least_and_most() -> void:
	check_eq(StudioLayout.side_width(1024.0), StudioLayout.SIDE_MIN, "the smallest window")
	check_eq(StudioLayout.side_width(1280.0), 435.0, "a third of 1280")
	check_eq(StudioLayout.side_width(1920.0), 653.0, "a third of 1920")
	check_eq(StudioLayout.side_width(3840.0), StudioLayout.SIDE_MAX, "an ultra-wide window")


func test_the_decoded_image_grows_with_the_column_and_the_height() -> void:
	var short: float = StudioLayout.image_size(StudioLayout.side_width(1024.0), 600.0)
	var usual: float = StudioLayout.image_size(StudioLayout.side_width(1280.0), 720.0)
	var large: float = StudioLayout.image_size(StudioLayout.side_width(1920.0), 1080.0)
	check(short >= StudioLayout.IMAGE_MIN and short < usual, "600 high: small, %s" % short)
	check(usual >= 176.0 and usual < large, "1280 × 720: as before, %s" % usual)
	check(large >= 260.0, "1920 × 1080: large, %s" % large)
	check_eq(StudioLayout.image_size(1600.0, 2160.0), StudioLayout.IMAGE_MAX, "never huge")


func test_wide_columns_show_the_readouts_on_one_row() -> void:
	check_eq(StudioLayout.readout_columns(StudioLayout.side_width(1024.0)), 3, "two rows")
	check_eq(StudioLayout.readout_columns(StudioLayout.side_width(1920.0)), 6, "one row")


func test_a_long_run_name_loses_its_middle_not_its_end() -> void:
	var font: Font = ThemeDB.fallback_font
	var name: String = "run vae-digits-20261126-050950-2a9d"
	var full: float = font.get_string_size(name, HORIZONTAL_ALIGNMENT_LEFT, -1, 12).x
	check_eq(StatusBar.elide_middle(name, font, 12, full + 1.0), name, "room: the whole name")
	var short: String = StatusBar.elide_middle(name, font, 12, full * 0.6)
	check(short.contains("…"), "too narrow: shortened, %s" % short)
	check(short.begins_with("run vae-d") and short.ends_with("2a9d"), "both ends kept: %s" % short)
	var width: float = font.get_string_size(short, HORIZONTAL_ALIGNMENT_LEFT, -1, 12).x
	check(width <= full * 0.6, "and it fits: %s of %s" % [width, full * 0.6])
