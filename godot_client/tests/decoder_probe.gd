extends SceneTree
## Runs VaeStudioDecoder on latents given in a JSON file, for tests/test_godot_decoder.py and
## bench/bench_godot_decoder.py:
##   -- --jobs=PATH --out=PATH
## PATH holds {"cases": [{"decoder": file path, "z": base64 of float32 (n, latent_dim) C order,
## "n": n, "labels": [int, ...] (optional), "repeat": R (optional, default 1)}]}. The output is
## {"results": [{"load_error": "" or why load_from failed, "error": the first decode error,
## "values": base64 of float32 (n, output_dim), "latent_dim", "num_classes", "codebook_size",
## "image_shape", "image_size": [w, h] of image(z[0]), "load_ms", "decode_ms": [ms of each
## decode call, R rounds over every row]}]}. Exit 0 when every case ran (decode errors are
## reported in the file, not as a failure), 2 on a bad command line or jobs file.


func _initialize() -> void:
	var options: Dictionary = {}
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--") and "=" in arg:
			options[arg.get_slice("=", 0).trim_prefix("--")] = arg.get_slice("=", 1)
	var jobs: Variant = JSON.parse_string(FileAccess.get_file_as_string(str(options.get("jobs"))))
	if not jobs is Dictionary or not jobs.get("cases") is Array:
		printerr("decoder_probe: --jobs=PATH must name a JSON file with a 'cases' list")
		quit(2)
		return
	var results: Array = []
	for case: Variant in jobs["cases"]:
		results.append(_run(case))
	var out := FileAccess.open(str(options.get("out", "")), FileAccess.WRITE)
	if out == null:
		printerr("decoder_probe: cannot write --out=%s" % str(options.get("out", "")))
		quit(2)
		return
	out.store_string(JSON.stringify({"results": results}))
	out.close()
	quit(0)


func _run(case: Dictionary) -> Dictionary:
	var started: int = Time.get_ticks_usec()
	var decoder: VaeStudioDecoder = VaeStudioDecoder.load_from(str(case.get("decoder", "")))
	var result: Dictionary = {"load_ms": (Time.get_ticks_usec() - started) / 1000.0}
	result["load_error"] = VaeStudioDecoder.last_error
	if decoder == null:
		return result
	result["latent_dim"] = decoder.latent_dim
	result["num_classes"] = decoder.num_classes
	result["codebook_size"] = decoder.codebook_size
	result["image_shape"] = Array(decoder.image_shape)
	var z: PackedFloat32Array = Marshalls.base64_to_raw(str(case.get("z", ""))).to_float32_array()
	var n: int = int(case.get("n", 0))
	var width: int = z.size() / n if n > 0 else 0
	var labels: Array = case.get("labels", [])
	var values: PackedFloat32Array = PackedFloat32Array()
	var error: String = ""
	var decode_ms: Array[float] = []
	for round: int in int(case.get("repeat", 1)):
		values.clear()
		for i: int in n:
			var label: int = int(labels[i]) if i < labels.size() else -1
			var row_z: PackedFloat32Array = z.slice(i * width, (i + 1) * width)
			var t0: int = Time.get_ticks_usec()
			var row: PackedFloat32Array = decoder.decode(row_z, label)
			decode_ms.append((Time.get_ticks_usec() - t0) / 1000.0)
			if error.is_empty():
				error = decoder.error
			values.append_array(row)
	result["error"] = error
	result["values"] = Marshalls.raw_to_base64(values.to_byte_array())
	result["decode_ms"] = decode_ms
	if decoder.is_image() and n > 0:
		var picture: Image = decoder.image(z.slice(0, width), int(labels[0]) if labels else -1)
		if picture != null:
			result["image_size"] = [picture.get_width(), picture.get_height()]
	return result
