extends "res://tests/test_case.gd"
## The static helpers of the Data tab: requests of at most CHUNK rows, the rows reconstructed,
## rows as plot points, their bounds, round ticks and the caption of the axes.


func test_chunks_cover_every_row_once_at_most_size_at_a_time() -> void:
	var parts: Array[Vector2i] = DataSpaceView.chunks(10_000, 4096)
	check_eq(parts, [Vector2i(0, 4096), Vector2i(4096, 4096), Vector2i(8192, 1808)], "3 requests")
	check_eq(DataSpaceView.chunks(2000, 4096), [Vector2i(0, 2000)], "one request")
	check_eq(DataSpaceView.chunks(4096, 4096), [Vector2i(0, 4096)], "exactly one full request")
	check(DataSpaceView.chunks(0, 4096).is_empty(), "no rows: no request")


func test_spread_rows_takes_all_or_an_even_spread() -> void:
	check_eq(DataSpaceView.spread_rows(3, 10), PackedInt32Array([0, 1, 2]), "all rows")
	check_eq(DataSpaceView.spread_rows(10, 4), PackedInt32Array([0, 2, 5, 7]), "spread")


func test_plot_points_use_two_columns_or_the_row_index() -> void:
	var values := PackedFloat32Array([1, 2, 3, 4, 5, 6])
	var rows := PackedInt32Array([7, 8])
	check_eq(
		DataSpaceView.plot_points(values, 3, rows),
		PackedVector2Array([Vector2(1, 2), Vector2(4, 5)]),
		"D = 3: the first two columns"
	)
	check_eq(
		DataSpaceView.plot_points(PackedFloat32Array([0.5, -1]), 1, rows),
		PackedVector2Array([Vector2(7, 0.5), Vector2(8, -1)]),
		"D = 1: the value against the row"
	)


func test_bounds_span_every_point() -> void:
	var points := PackedVector2Array([Vector2(1, -2), Vector2(-3, 4), Vector2(0, 0)])
	check_eq(DataSpaceView.bounds_of(points), Rect2(-3, -2, 4, 6), "min and max of each axis")
	check_eq(DataSpaceView.bounds_of(PackedVector2Array()), Rect2(), "no points")


func test_nice_ticks_are_round_and_inside_the_range() -> void:
	check_eq(
		DataSpaceView.nice_ticks(-2.1, 2.2), PackedFloat32Array([-2, -1, 0, 1, 2]), "steps of 1"
	)
	check_eq(DataSpaceView.nice_ticks(0.03, 0.5).size(), 5, "steps of 0.1 from 0.1 to 0.5")
	check_eq(DataSpaceView.nice_ticks(1, 1), PackedFloat32Array([1]), "an empty range")


func test_axes_caption_says_which_columns() -> void:
	check_eq(
		DataSpaceView.describe_axes("moons", 2000, 2),
		"moons · 2000 rows · x = column 0, y = column 1",
		"two columns"
	)
	check(DataSpaceView.describe_axes("swiss_roll", 2000, 3).contains("first two of 3"), "D = 3")
	check(DataSpaceView.describe_axes("csv", 10, 1).contains("x = row"), "D = 1")
