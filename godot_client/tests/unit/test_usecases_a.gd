extends "res://tests/test_case.gd"
## The Denoise, Anomaly and Compression pages' data side: `denoise`, `anomaly` and `compress`
## replies (protocol §5.4) turned into what the pages show (tiles, PSNR text, histogram bins,
## ROC points, the most unusual and flagged rows, bytes and their ratio), and the shared tile and
## plot components' geometry.


func test_denoise_reply_becomes_rows_of_clean_noisy_denoised_tiles() -> void:
	var result: Dictionary = {
		"clean": _images(3, 4, 4),
		"noisy": _images(3, 4, 4),
		"denoised": _images(3, 4, 4),
		"psnr_noisy": _floats([12.0, 10.5, 11.25]),
		"psnr_denoised": _floats([18.5, 17.0, 19.0]),
		"psnr_noisy_mean": 11.25,
		"psnr_denoised_mean": 18.17,
	}
	var view: Dictionary = UseCaseDenoise.view_of(result, 2)
	check_eq(view["error"], "", "a sound reply")
	check_eq(view["n"], 3, "every row of the reply counts")
	check_eq(view["rows"].size(), 2, "only the first max_rows rows become tiles")
	check_eq(view["rows"][0]["cells"].size(), 3, "clean | noisy | denoised")
	check(view["rows"][1]["cells"][2] is Image, "image data: images")
	check_eq(view["rows"][0]["caption"], "12.0 → 18.5 dB", "per-row PSNR")
	check_eq(view["gain_text"], "+6.9 dB gain", "the gain of the means")
	check(str(view["summary"]).contains("mean of 3 test rows"), view["summary"])


func test_denoise_vector_data_shows_numbers_and_bad_replies_are_named() -> void:
	var values: Dictionary = VaeStudioArray.from_float32(
		PackedFloat32Array([0.5, -1, 2, 0]), [2, 2]
	)
	var result: Dictionary = {
		"clean": values,
		"noisy": values,
		"denoised": values,
		"psnr_noisy": _floats([1.0, 2.0]),
		"psnr_denoised": _floats([3.0, 4.0]),
		"psnr_noisy_mean": 1.5,
		"psnr_denoised_mean": 3.5,
	}
	var view: Dictionary = UseCaseDenoise.view_of(result, 8)
	check_eq(view["rows"][0]["cells"][0], "+0.50\n-1.00", "vector rows as their numbers")
	result.erase("psnr_denoised")
	check(str(UseCaseDenoise.view_of(result, 8)["error"]).contains("psnr_denoised"), "named")


func test_anomaly_scores_histogram_and_rows() -> void:
	var result: Dictionary = {
		"indices": VaeStudioArray.from_int32(PackedInt32Array([10, 11, 12, 13, 14]), [5]),
		"scores": _floats([1.0, 5.0, 3.0, 9.0, 7.0]),
		"labels": VaeStudioArray.from_int32(PackedInt32Array([0, 1, 0, 1, 2]), [5]),
		"auc": 0.75,
		"average_precision": 0.5,
		"roc_fpr": _floats([0.0, 0.5, 1.0]),
		"roc_tpr": _floats([0.0, 1.0, 1.0]),
	}
	var scored := UseCaseAnomalyScores.from_reply(result, PackedInt32Array([1]))
	check_eq(scored.error, "", "a sound reply")
	var bins: Dictionary = scored.histogram(4)
	check_eq(bins["edges"], PackedFloat32Array([1, 3, 5, 7, 9]), "equal bins over the scores")
	check_eq(bins["positives"], PackedFloat32Array([0, 0, 1, 1]), "class 1 scored 5 and 9")
	check_eq(bins["others"], PackedFloat32Array([1, 1, 0, 1]), "the rest: 1, 3 and 7")
	check_eq(scored.most_unusual(2), PackedInt32Array([3, 4]), "highest scores first")
	check_eq(scored.flagged(5.0), PackedInt32Array([1, 3, 4]), "at or above the threshold")
	check_eq(scored.rows_of(scored.flagged(5.0)), PackedInt32Array([11, 13, 14]), "their rows")
	check_eq(scored.roc, PackedVector2Array([Vector2(0, 0), Vector2(0.5, 1), Vector2(1, 1)]), "ROC")
	check_eq(scored.figures_text(), "AUC 0.750 · AP 0.500", "the figures")
	check_eq(scored.quantile(0.25), 7.0, "the score flagging a quarter of the rows")


func test_anomaly_reply_problems_are_named() -> void:
	var result: Dictionary = {
		"scores": _floats([1.0, 2.0]),
		"indices": VaeStudioArray.from_int32(PackedInt32Array([1]), [1]),
	}
	var scored := UseCaseAnomalyScores.from_reply(result, PackedInt32Array())
	check(scored.error.contains("indices [1]"), scored.error)
	check_eq(scored.figures_text(), "", "no figures without positives")
	check(UseCaseAnomalyScores.from_reply({}, PackedInt32Array()).error.contains("scores"), "none")


func test_compress_reply_shows_bytes_ratio_and_psnr() -> void:
	# Z = 5 dimensions at 3 bits: ceil(15 / 8) = 2 bytes a row.
	var result: Dictionary = {
		"codes": PackedByteArray([1, 2, 3, 4]),
		"bytes_per_row": 2,
		"raw_bytes_per_row": 64,
		"lo": _floats([0, 0, 0, 0, 0]),
		"hi": _floats([1, 1, 1, 1, 1]),
		"reconstructions": _images(2, 8, 8),
		"psnr": _floats([14.0, 16.0]),
		"psnr_mean": 15.0,
	}
	var originals: Array = UseCaseTiles.cells_of(_images(2, 8, 8))
	var view: Dictionary = UseCaseCompression.view_of(result, 8, originals)
	check_eq(view["error"], "", "a sound reply")
	check_eq([view["bytes"], view["raw"], view["latent_dim"]], [2, 64, 5], "bytes, raw, Z")
	check_eq(view["headline"], "2 B per image", "bytes per image in large type")
	check(str(view["summary"]).contains("32.0× smaller"), view["summary"])
	check(str(view["summary"]).contains("PSNR 15.0 dB"), view["summary"])
	check_eq(view["rows"][1]["cells"].size(), 2, "original | decoded")
	check_eq(UseCaseCompression.view_of(result, 8)["rows"][1]["cells"].size(), 1, "decoded only")
	result["codes"] = PackedByteArray([1, 2, 3])
	check(str(UseCaseCompression.view_of(result, 8)["error"]).contains("3 bytes"), "codes")


func test_tiles_lay_rows_out_without_overlap() -> void:
	var tiles := UseCaseTiles.new()
	tiles.size = Vector2(600, 400)
	var rows: Array[Dictionary] = []
	var cells: Array = UseCaseTiles.cells_of(_images(8, 8, 8))
	for i in 8:
		rows.append({"cells": [cells[i], cells[i], cells[i]], "caption": str(i)})
	tiles.set_rows(PackedStringArray(["a", "b", "c"]), rows)
	var rects: Array[Rect2] = tiles.cell_rects()
	check_eq(rects.size(), 24, "8 rows × 3 cells")
	check_eq(tiles.cell_count(), 24, "cells counted")
	var bounds := Rect2(Vector2.ZERO, tiles.size)
	for i in rects.size():
		check(bounds.encloses(rects[i]), "cell %d inside: %s" % [i, rects[i]])
		for j in range(i + 1, rects.size()):
			check(not rects[i].intersects(rects[j]), "cells %d and %d apart" % [i, j])
	check(rects[0].size.x >= 20.0, "tiles are readable: %s" % rects[0].size)
	tiles.free()


func test_plot_maps_fixed_ranges_to_its_corners() -> void:
	var plot := UseCasePlot.new()
	plot.size = Vector2(300, 200)
	plot.set_ranges(Vector2(0, 1), Vector2(0, 1))
	var area: Rect2 = plot.plot_rect()
	check_eq(plot.to_pixels(Vector2.ZERO), Vector2(area.position.x, area.end.y), "bottom-left")
	check_eq(plot.to_pixels(Vector2.ONE), Vector2(area.end.x, area.position.y), "top-right")
	plot.set_ranges(Vector2.ZERO, Vector2.ZERO)
	plot.add_bars(PackedFloat32Array([2, 4, 6]), PackedFloat32Array([3, 5]), Color.RED, "")
	var ranges: Array[Vector2] = plot.ranges()
	check_eq(ranges[0], Vector2(2, 6), "x follows the bars' edges")
	check(ranges[1].x == 0.0 and ranges[1].y >= 5.0, "y from 0 past the tallest bar")
	plot.clear()
	plot.add_line(PackedVector2Array([Vector2(1, 12), Vector2(16, 17)]), Color.BLUE, "", true)
	check_eq(plot.ranges()[1].x, 12.0, "a curve's y axis follows its values, not from 0")
	plot.free()


func test_the_protocol_vectors_show_as_the_pages_show_them() -> void:
	var denoise: Dictionary = UseCaseDenoise.view_of(message_vector("denoise reply")["result"], 8)
	check_eq(denoise["error"], "", "the denoise vector reads")
	check_eq(denoise["rows"].size(), 2, "two rows of clean | noisy | denoised")
	check_eq((denoise["rows"][0]["cells"][0] as Image).get_size(), Vector2i(2, 2), "2×2 images")
	check_eq(denoise["rows"][1]["caption"], "12.2 → 26.0 dB", "the second row's PSNR")
	check_eq(denoise["gain_text"], "+12.4 dB gain", "25.75 − 13.375 dB")
	var anomaly := UseCaseAnomalyScores.from_reply(
		message_vector("anomaly reply, 4 rows")["result"], PackedInt32Array([0])
	)
	check_eq(anomaly.error, "", "the anomaly vector reads")
	check_eq(anomaly.rows_of(anomaly.most_unusual(2)), PackedInt32Array([3, 11]), "the 0s")
	check_eq(anomaly.histogram(2)["positives"], PackedFloat32Array([0, 2]), "both 0s score high")
	check_eq(anomaly.roc.size(), 4, "four ROC points")
	check_eq(anomaly.figures_text(), "AUC 1.000 · AP 1.000", "the figures")
	var x_rows := UseCaseAnomalyScores.from_reply(
		message_vector("anomaly reply for rows given as x")["result"], PackedInt32Array()
	)
	check(x_rows.error.is_empty() and x_rows.rows_of(PackedInt32Array([1])).is_empty(), "no rows")
	var compress_reply: Dictionary = message_vector("compress reply")["result"]
	var compress: Dictionary = UseCaseCompression.view_of(compress_reply, 8)
	check_eq(compress["error"], "", "the compress vector reads (2 rows × 2 bytes of codes)")
	check_eq([compress["bytes"], compress["raw"], compress["latent_dim"]], [2, 4, 3], "Z = 3")
	check_eq(compress["bytes"], ceili(compress["latent_dim"] * 3 / 8.0), "ceil(Z · bits / 8)")
	check(str(compress["summary"]).contains("2.0× smaller"), compress["summary"])


## `n` grey u8 images of h × w with different contents.
static func _images(n: int, h: int, w: int) -> Dictionary:
	var data := PackedByteArray()
	for i in n * h * w:
		data.append((i * 37) % 256)
	return {"dtype": "u8", "shape": [n, h, w], "data": data}


static func _floats(values: Array) -> Dictionary:
	return VaeStudioArray.from_float32(PackedFloat32Array(values), [values.size()])
