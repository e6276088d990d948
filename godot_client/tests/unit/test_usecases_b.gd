extends "res://tests/test_case.gd"
## The Style, Features and Generation pages' data side: replies of `style`, `analogy`,
## `attribute`, `features` and `generation` (shaped as protocol/README.md §5.4 says) turned into
## what the pages show: the grid's n × m cells, the analogy's z and tiles, z + t·vector, the
## confusion matrix's row normalisation, the probe and MIG/DCI bars and the quality figures.


func test_style_reply_becomes_n_rows_by_m_class_cells() -> void:
	# 2 sources × 3 classes of 4×4 grey images; image k is filled with the value 10·k.
	var data := PackedByteArray()
	for k in 6:
		for p in 16:
			data.append(10 * k)
	var reply: Dictionary = {"images": {"dtype": "u8", "shape": [2, 3, 4, 4], "data": data}}
	var grid: Dictionary = UseCaseStyleGrid.grid_from(reply, 2, 3)
	check_eq(grid["error"], "", "a well-formed reply")
	check_eq([grid["rows"], grid["cols"]], [2, 3], "2 rows × 3 classes")
	var cells: Array = grid["cells"]
	check_eq(cells.size(), 6, "one cell per source and class")
	check(cells[5] is Image, "image cells")
	check_eq((cells[5] as Image).get_pixel(0, 0).r8, 50, "row 1, class 2 is image 5 (row-major)")
	check_eq((cells[3] as Image).get_size(), Vector2i(4, 4), "h × w kept")
	var wrong: Dictionary = UseCaseStyleGrid.grid_from(reply, 3, 2)
	check(str(wrong["error"]).contains("3 rows × 2 classes"), "a mismatch is named")
	var none: Dictionary = UseCaseStyleGrid.grid_from({}, 1, 1)
	check(str(none["error"]).contains("no images or values"), "no array: said in words")


func test_style_values_of_vector_data_become_text_cells() -> void:
	var values := PackedFloat32Array([1, 2, 3, 4, 5, 6, 7, 8])
	var reply: Dictionary = {"values": VaeStudioArray.from_float32(values, [1, 4, 2])}
	var grid: Dictionary = UseCaseStyleGrid.grid_from(reply, 1, 4)
	check_eq(grid["error"], "", "vector data")
	check_eq((grid["cells"] as Array).size(), 4, "1 × 4 cells")
	check_eq(grid["cells"][3], "+7.00\n+8.00", "class 3's decoded point as numbers")


func test_flatten_merges_leading_dimensions() -> void:
	var arr: Dictionary = {"dtype": "u8", "shape": [2, 3, 5, 5, 3], "data": PackedByteArray()}
	arr["data"].resize(2 * 3 * 75)
	check_eq(UseCaseStyleTiles.flatten(arr, 2)["shape"], [6, 5, 5, 3], "[n·m, h, w, c]")
	check_eq(UseCaseStyleTiles.flatten(arr, 5), {}, "nothing left after the lead: {}")


func test_analogy_reply_shows_a_b_c_and_the_result_with_its_z() -> void:
	var sources := PackedByteArray()
	for k in 3:
		for p in 4:
			sources.append(k + 1)
	var reply: Dictionary = {
		"z": VaeStudioArray.from_float32(PackedFloat32Array([0.5, -1.0]), [1, 2]),
		"images": {"dtype": "u8", "shape": [1, 2, 2], "data": PackedByteArray([9, 9, 9, 9])},
		"sources": {"images": {"dtype": "u8", "shape": [3, 2, 2], "data": sources}},
	}
	var shown: Dictionary = UseCaseStyleAnalogy.analogy_from(reply)
	check_eq(shown["error"], "", "a well-formed reply")
	check_eq(shown["z"], PackedFloat32Array([0.5, -1.0]), "the result's z")
	var cells: Array = shown["cells"]
	check_eq(cells.size(), 4, "a, b, c, result")
	check_eq((cells[1] as Image).get_pixel(0, 0).r8, 2, "b is the second source row")
	check_eq((cells[3] as Image).get_pixel(1, 1).r8, 9, "the result is the decode")
	reply.erase("z")
	check(str(UseCaseStyleAnalogy.analogy_from(reply)["error"]).contains("no z"), "no z: named")


func test_attribute_vector_is_added_t_times() -> void:
	var reply: Dictionary = {
		"vector": VaeStudioArray.from_float32(PackedFloat32Array([1.0, -2.0]), [2]),
		"norm": sqrt(5.0),
		"counts": [40, 55],
	}
	var got: Dictionary = UseCaseStyleAttribute.vector_from(reply)
	check_eq(got["error"], "", "a well-formed reply")
	check_eq(got["counts"], [40, 55], "rows averaged")
	var z := PackedFloat32Array([0.25, 0.5])
	var moved: PackedFloat32Array = UseCaseStyleAttribute.shifted(z, got["vector"], -1.5)
	check_eq(moved, PackedFloat32Array([-1.25, 3.5]), "z − 1.5·v")
	check_eq(UseCaseStyleAttribute.shifted(z, got["vector"], 0.0), z, "t = 0 is z itself")
	check_eq(z, PackedFloat32Array([0.25, 0.5]), "z is not changed in place")
	check(str(UseCaseStyleAttribute.vector_from({})["error"]).contains("no vector"), "no vector")


func test_confusion_rows_are_normalised_per_true_class() -> void:
	var counts := PackedInt32Array([3, 1, 0, 0, 0, 0, 2, 2, 4])
	var f: PackedFloat32Array = UseCaseFeaturesConfusion.normalise(counts, 3)
	check_eq(f.slice(0, 3), PackedFloat32Array([0.75, 0.25, 0.0]), "row 0: 3 of 4, 1 of 4")
	check_eq(f.slice(3, 6), PackedFloat32Array([0.0, 0.0, 0.0]), "a class without rows stays 0")
	check_eq(f.slice(6, 9), PackedFloat32Array([0.25, 0.25, 0.5]), "row 2")


func test_features_reply_becomes_probe_bars_with_chance_and_factor_bars() -> void:
	var reply: Dictionary = {
		"probe_accuracy": 0.9,
		"probe_accuracy_raw": 0.95,
		"probe_accuracy_pca": 0.7,
		"knn_accuracy": 0.85,
		"classes": 4,
		"confusion": VaeStudioArray.from_int32(PackedInt32Array(range(16)), [4, 4]),
	}
	var fig: Dictionary = UseCaseFeaturesPage.figures_from(reply)
	check_eq(fig["error"], "", "a well-formed reply")
	check_eq(fig["values"], PackedFloat32Array([0.9, 0.95, 0.7, 0.85]), "μ, raw, PCA, kNN")
	check_eq(fig["names"][0], "probe on μ", "the μ probe first")
	check_eq(fig["chance"], 0.25, "chance is 1/K")
	check_eq((fig["confusion"] as PackedInt32Array).size(), 16, "K × K counts")
	check((fig["factor_names"] as PackedStringArray).is_empty(), "no factors: no MIG/DCI bars")
	reply["mig"] = 0.12
	reply["dci"] = {"disentanglement": 0.3, "completeness": 0.4, "informativeness": 0.8}
	fig = UseCaseFeaturesPage.figures_from(reply)
	check_eq(fig["factor_values"], PackedFloat32Array([0.12, 0.3, 0.4, 0.8]), "MIG then DCI")
	reply["classes"] = 3
	check(str(UseCaseFeaturesPage.figures_from(reply)["error"]).contains("[3, 3]"), "bad shape")


func test_bars_scale_values_to_the_width() -> void:
	var bars := UseCaseFeaturesBars.new()
	bars.size = Vector2(400, 100)
	bars.set_bars(PackedStringArray(["a", "b"]), PackedFloat32Array([0.5, 1.0]))
	var full: float = bars.bar_rect(1).size.x
	check(full > 100.0, "a bar at the scale's end is wide: %s" % full)
	check(is_equal_approx(bars.bar_rect(0).size.x, full * 0.5), "0.5 is half of 1.0")
	bars.set_bars(PackedStringArray(["a", "b"]), PackedFloat32Array([2.0, 4.0]), 0.0)
	check(is_equal_approx(bars.bar_rect(1).size.x, full), "scale 0: the largest value fills")
	bars.free()


func test_generation_reply_becomes_psnr_and_diversity() -> void:
	var reply: Dictionary = {
		"recon_psnr": 18.5,
		"diversity": 0.9,
		"sample_diversity": 0.27,
		"data_diversity": 0.3,
		"n": 256,
	}
	var q: Dictionary = UseCaseGenerationQuality.quality_from(reply)
	check_eq(q["error"], "", "a well-formed reply")
	check_eq([q["psnr"], q["diversity"], q["n"]], [18.5, 0.9, 256], "the figures")
	reply.erase("diversity")
	var bad: Dictionary = UseCaseGenerationQuality.quality_from(reply)
	check(str(bad["error"]).contains("diversity"), "the missing field is named")


func test_typed_rows_are_parsed_or_refused() -> void:
	check_eq(UseCaseStyleTiles.parse_rows("0, 5 17"), PackedInt32Array([0, 5, 17]), "rows")
	check_eq(UseCaseStyleTiles.parse_rows("3, x"), PackedInt32Array(), "not a number: none")
	check_eq(UseCaseStyleTiles.parse_rows("-1"), PackedInt32Array(), "negative: none")


func test_style_vector_is_a_2_by_3_grid_of_its_images() -> void:
	var grid: Dictionary = UseCaseStyleGrid.grid_from(_vector("style reply"), 2, 3)
	check_eq(grid["error"], "", "the vector's reply")
	check_eq([grid["rows"], grid["cols"]], [2, 3], "2 sources × 3 labels")
	var cells: Array = grid["cells"]
	check_eq((cells[0] as Image).get_pixel(1, 0).r8, 255, "source 0 as class 0: its 2nd pixel")
	check_eq((cells[2] as Image).get_pixel(0, 0).r8, 128, "source 0 as class 2: flat 128")
	check_eq((cells[5] as Image).get_pixel(0, 0).r8, 100, "source 1 as class 2: 100 first")


func test_analogy_vector_gives_its_z_and_four_tiles() -> void:
	var shown: Dictionary = UseCaseStyleAnalogy.analogy_from(_vector("analogy reply"))
	check_eq(shown["error"], "", "the vector's reply")
	check_eq(shown["z"], PackedFloat32Array([0.0, 2.5]), "z = μc + (μb − μa)")
	var cells: Array = shown["cells"]
	check_eq(cells.size(), 4, "a, b, c and the result")
	check_eq((cells[3] as Image).get_pixel(0, 0).r8, 10, "the result is the decode of z")
	check_eq((cells[2] as Image).get_pixel(0, 0).r8, 0, "c is the third source row")


func test_attribute_vector_moves_z_along_it() -> void:
	var got: Dictionary = UseCaseStyleAttribute.vector_from(_vector("attribute reply"))
	check_eq(got["error"], "", "the vector's reply")
	check_eq(got["vector"], PackedFloat32Array([0.75, -1.0]), "mean μ of 7 − mean μ of 1")
	check_eq([got["norm"], got["counts"]], [1.25, [162, 159]], "its length and rows averaged")
	var moved: PackedFloat32Array = UseCaseStyleAttribute.shifted(
		PackedFloat32Array([0.0, 0.0]), got["vector"], 2.0
	)
	check_eq(moved, PackedFloat32Array([1.5, -2.0]), "t = 2 at the origin")


func test_features_vector_on_shapes_gives_bars_confusion_and_mig_dci() -> void:
	var fig: Dictionary = UseCaseFeaturesPage.figures_from(_vector("features reply, shapes"))
	check_eq(fig["error"], "", "the vector's reply")
	check_eq(fig["values"], PackedFloat32Array([0.75, 0.5, 0.5, 1.0]), "μ, raw, PCA, kNN")
	check(is_equal_approx(fig["chance"], 1.0 / 3.0), "3 classes: chance 1/3")
	var f: PackedFloat32Array = UseCaseFeaturesConfusion.normalise(fig["confusion"], 3)
	check_eq(f, PackedFloat32Array([1, 0, 0, 0, 1, 0, 0, 1, 0]), "each true class's rows sum to 1")
	check_eq(fig["factor_values"], PackedFloat32Array([0.125, 0.25, 0.375, 0.5]), "MIG, DCI")


func test_features_vector_without_labels_gives_only_mig_and_dci() -> void:
	var fig: Dictionary = UseCaseFeaturesPage.figures_from(_vector("features reply, swiss_roll"))
	check_eq(fig["error"], "", "factors alone are enough")
	check_eq((fig["names"] as PackedStringArray).size(), 0, "no probe bars without labels")
	check_eq(fig["factor_values"], PackedFloat32Array([0.25, 0.5, 0.5, 0.25]), "MIG, DCI")


func test_generation_vector_gives_psnr_and_diversity() -> void:
	var q: Dictionary = UseCaseGenerationQuality.quality_from(_vector("generation reply"))
	check_eq(q["error"], "", "the vector's reply")
	check_eq([q["psnr"], q["diversity"], q["n"]], [18.5, 0.75, 256], "the figures shown")
	check_eq(q["sample_diversity"] / q["data_diversity"], q["diversity"], "the ratio")


static func _vector(starts: String) -> Dictionary:
	return message_vector(starts).get("result", {})
