extends "res://tests/test_case.gd"
## The static helpers of the Grid and Samples tabs: where the n × n tiles lie on the plane, how
## the mosaic is assembled from a decode reply, and vector samples as text.


func test_tile_points_are_cell_centres_row_by_row_from_the_top() -> void:
	var points: Array[Vector2] = GridPanel.tile_points(Rect2(-1, -2, 2, 4), 2)
	check_eq(points.size(), 4, "n² points")
	check_eq(points[0], Vector2(-0.5, 1.0), "top left: the highest y first")
	check_eq(points[1], Vector2(0.5, 1.0), "then along the row")
	check_eq(points[3], Vector2(0.5, -1.0), "bottom right last")


func test_mosaic_puts_each_image_in_its_tile_with_gaps() -> void:
	# Four 2×1 grey images (n, h=1, w=2) with values 10·i and 10·i + 5.
	var data := PackedByteArray([0, 5, 10, 15, 20, 25, 30, 35])
	var batch: Dictionary = {"dtype": "u8", "shape": [4, 1, 2], "data": data}
	var mosaic: Image = GridPanel.assemble_mosaic(batch, 2, 1)
	check(mosaic != null, "assembled")
	check_eq(mosaic.get_size(), Vector2i(5, 3), "2 tiles of 2×1 and a 1-pixel gap each way")
	check_eq(roundi(mosaic.get_pixel(0, 0).r8), 0, "image 0 at the top left")
	check_eq(roundi(mosaic.get_pixel(4, 0).r8), 15, "image 1 right of the gap")
	check_eq(roundi(mosaic.get_pixel(0, 2).r8), 20, "image 2 below the gap")
	check_eq(roundi(mosaic.get_pixel(4, 2).r8), 35, "image 3 at the bottom right")
	check(GridPanel.assemble_mosaic(batch, 3) == null, "not n² images: no mosaic")
	batch["dtype"] = "f32"
	check(GridPanel.assemble_mosaic(batch, 2) == null, "not u8: no mosaic")


func test_vector_samples_as_text_two_a_line() -> void:
	var text: String = SamplesPanel.describe_values(PackedFloat32Array([0.5, -1, 2, 0.25, 1, 1]), 2)
	check_eq(text, " 0 (+0.50, -1.00)    1 (+2.00, +0.25)\n 2 (+1.00, +1.00)", "rows")
