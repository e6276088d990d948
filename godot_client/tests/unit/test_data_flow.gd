extends "res://tests/test_case.gd"
## The data-flow view's model and drawing plan: the `trace` reply vector of
## protocol/vectors/messages.json turned into what the view draws (the layers in order with
## their shapes, μ, σ, ε and z = μ + σ·ε per dimension, the loss terms), the variants' own
## fields, the activation images, the column layout, and malformed replies named in words.

const VECTOR: String = "trace reply, digits MLP"


func test_the_vector_becomes_the_columns_drawn() -> void:
	var trace := DataFlowTrace.from_result(_vector(VECTOR))
	check_eq(trace.error, "", "no error")
	check_eq(
		[trace.run, trace.step, trace.model],
		["vae-digits-20261125-120000-ab12", 1200, "vae"],
		"run, step, model"
	)
	check_eq([trace.index, trace.label], [0, 0], "index, label")
	check(trace.is_image(), "digits are images")
	check_eq(trace.input_image.get_size(), Vector2i(8, 8), "input 8×8")
	check_eq(trace.recon_image.get_size(), Vector2i(8, 8), "recon 8×8")
	var names: Array = trace.layers.map(func(l: DataFlowLayer) -> String: return l.name)
	check_eq(
		names, ["encoder.body.0", "decoder.body.0", "decoder.body.2"], "layers in forward order"
	)
	check_eq(trace.encoder_layers().size(), 1, "one encoder layer")
	check_eq(trace.decoder_layers().size(), 2, "two decoder layers")
	var shapes: Array = trace.layers.map(func(l: DataFlowLayer) -> String: return l.shape_text())
	check_eq(shapes, ["4", "4", "64"], "shapes")
	check(not trace.layers.any(func(l: DataFlowLayer) -> bool: return l.is_map()), "all dense")
	check_eq(trace.layers[0].activation, PackedFloat32Array([0, 1.5, 0.25, 3]), "activation")
	check_eq([trace.layers[0].mean, trace.layers[0].frac_zero], [1.1875, 0.25], "stats")
	check_eq(trace.layers[0].short_name(), "enc 0", "short name")
	check_eq(trace.latent_dim(), 2, "Z")
	check_eq(trace.mu, PackedFloat32Array([0.5, -1.25]), "mu")
	check_eq(trace.eps, PackedFloat32Array([0.25, -0.75]), "eps")
	# z = μ + exp(½ logvar)·ε, dimension by dimension, as sent.
	var sigma: PackedFloat32Array = trace.sigma()
	var noise: PackedFloat32Array = trace.sigma_eps()
	for d in 2:
		check(absf(noise[d] - sigma[d] * trace.eps[d]) < 1e-6, "σ·ε of dim %d" % d)
		check(absf(trace.z[d] - (trace.mu[d] + noise[d])) < 1e-6, "z = μ + σ·ε in dim %d" % d)
	check(trace.identity_error() < 1e-6, "identity error %f" % trace.identity_error())
	check_eq([trace.loss["recon"], trace.loss["beta"]], [24.5, 1.0], "loss terms")
	check_eq(trace.kl_per_dim.size(), 2, "KL per dim")


func test_the_canvas_lays_the_columns_out_left_to_right_in_800_by_600() -> void:
	var canvas := DataFlowCanvas.new()
	canvas.size = Vector2(800, 600)
	canvas.show_trace(DataFlowTrace.from_result(_vector(VECTOR)))
	# input, 1 encoder layer, latent, 2 decoder layers, recon.
	var rects: Array[Rect2] = []
	for i in 7:
		rects.append(canvas.column_rect(i))
	check_eq(rects[6], Rect2(), "six columns")
	for i in 6:
		check(Rect2(Vector2.ZERO, canvas.size).encloses(rects[i]), "column %d inside" % i)
		check(rects[i].size.x >= 24.0 and rects[i].size.y >= 400.0, "column %d size" % i)
		if i > 0:
			check(rects[i].position.x >= rects[i - 1].end.x, "column %d right of %d" % [i, i - 1])
	check(rects[2].size.x >= DataFlowCanvas.MIN_LATENT_W, "the latent column is the wide one")
	canvas.free()


func test_variant_fields() -> void:
	var result: Dictionary = _vector(VECTOR)
	result["iw"] = {
		"z": _f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2]),
		"log_weights": _f32([-1.0, -2.0, -3.0], [3]),
		"weights": _f32([0.5, 0.3, 0.2], [3]),
	}
	result["code_index"] = 7
	result["code"] = _f32([1.0, -1.0], [2])
	var pixels := PackedByteArray()
	pixels.resize(2 * 4 * 4)
	result["pseudo_inputs"] = {"dtype": "u8", "shape": [2, 4, 4], "data": pixels}
	var trace := DataFlowTrace.from_result(result)
	check_eq(trace.error, "", "no error")
	check_eq(trace.iw_z.size(), 3, "k = 3 samples")
	check_eq(trace.iw_z[2], PackedFloat32Array([0.5, 0.6]), "the third sample")
	check_eq(trace.iw_weights.size(), 3, "their weights")
	check_eq([trace.code_index, trace.code.size()], [7, 2], "code and its index")
	check_eq(trace.pseudo_images.size(), 2, "pseudo-inputs as images")
	result["iw"]["z"] = _f32([0.1, 0.2], [1, 2])
	check(DataFlowTrace.from_result(result).error.contains("iw.z"), "iw.z of the wrong k")


func test_activation_images() -> void:
	var maps: Image = DataFlowMaps.map_atlas(_ramp(2 * 3 * 4), PackedInt32Array([2, 3, 4]), 2)
	check_eq(maps.get_size(), Vector2i(2 * 5 - 1, 3), "two 4-wide tiles and a 1-pixel gap")
	check(maps.get_pixel(0, 0) != maps.get_pixel(3, 2), "the ramp spans the values")
	check_eq(maps.get_pixel(4, 0).a, 0.0, "the gap is clear")
	check_eq(DataFlowMaps.atlas_columns(32, Vector2(5, 5), Vector2(50, 400)), 2, "tall: 2 columns")
	var bars: Image = DataFlowMaps.bars_image(_ramp(400), 100)
	check_eq(bars.get_size(), Vector2i(DataFlowMaps.BAR_WIDTH, 100), "400 units in 100 rows")
	var signed: Image = DataFlowMaps.bars_image(PackedFloat32Array([-1.0, 1.0]), 10)
	var half: int = DataFlowMaps.BAR_WIDTH / 2
	check_eq(signed.get_pixel(0, 0), DataFlowMaps.NEGATIVE, "a negative bar grows left")
	check_eq(signed.get_pixel(half, 1), DataFlowMaps.POSITIVE, "a positive one right")
	check_eq(signed.get_pixel(half, 0).a8, DataFlowMaps.BAR_TRACK.a8, "from the middle")
	check_eq(
		DataFlowMaps.group_means(PackedFloat32Array([1, 3, 5, 7]), 2),
		PackedFloat32Array([2, 6]),
		"group means"
	)


func test_malformed_replies_are_named() -> void:
	var cases: Array = [
		["mu", null, "mu"],
		["z", _f32([1.0, 2.0, 3.0], [1, 3]), "z must be [1, 2]"],
		["eps", _f32([1.0], [1, 1]), "same Z"],
		["input", {"dtype": "u8", "shape": [8, 8], "data": PackedByteArray()}, "input"],
		["recon", "pixels", "recon: array must be a map"],
		["layers", "none", "layers list"],
		["loss", {"loss": 1.0, "recon": 1.0}, "kl"],
	]
	for case: Array in cases:
		var result: Dictionary = _vector(VECTOR)
		if case[1] == null:
			result.erase(case[0])
		else:
			result[case[0]] = case[1]
		var trace := DataFlowTrace.from_result(result)
		check(
			trace.error.contains(case[2]),
			"%s: error '%s' names '%s'" % [case[0], trace.error, case[2]]
		)
	var result: Dictionary = _vector(VECTOR)
	(result["layers"][1] as Dictionary).erase("shape")
	check(DataFlowTrace.from_result(result).error.begins_with("layers[1]"), "the layer is named")
	result = _vector(VECTOR)
	result["layers"][0]["activation"] = _f32([1.0, 2.0, 3.0, 4.0], [1, 2, 2])
	check(DataFlowTrace.from_result(result).error.contains("as many axes"), "activation axes")


static func _f32(values: Array, shape: Array) -> Dictionary:
	return VaeStudioArray.from_float32(PackedFloat32Array(values), shape)


static func _ramp(n: int) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for i in n:
		out.append(float(i))
	return out


## The result map of the reply vector named `starts`.
static func _vector(starts: String) -> Dictionary:
	return message_vector(starts).get("result", {})


func test_the_view_shows_failures_in_words() -> void:
	var view: DataFlowView = load("res://ui/data_flow_view.tscn").instantiate()
	(Engine.get_main_loop() as SceneTree).root.add_child(view)
	if not view.is_node_ready():
		view.notification(Node.NOTIFICATION_READY)  # the runner's tree is not running yet
	var args: Dictionary = {"index": view.row, "seed": view.seed}
	var old := VaeStudioRequest.new(1, "trace", args)
	old.finish(VaeStudioRequest.failure(1, "unknown_op", "unknown op 'trace'"))
	view._on_reply(old, args)
	check(view.message().contains("older than the Studio"), "older backend: %s" % view.message())
	var bad := VaeStudioRequest.new(2, "trace", args)
	bad.finish(VaeStudioRequest.failure(2, "invalid_argument", "index 5000 is out of range"))
	view._on_reply(bad, args)
	check(view.message().contains("index 5000 is out of range"), "bad index: %s" % view.message())
	var malformed: Dictionary = _vector(VECTOR)
	malformed.erase("z")
	view._on_reply(_ok(3, args, malformed), args)
	check(view.message().contains("malformed: z"), "malformed: %s" % view.message())
	check_eq(view.traces_received, 0, "nothing drawn from a failure")
	view._on_reply(_ok(4, args, _vector(VECTOR)), args)
	check_eq([view.message(), view.error, view.traces_received], ["", "", 1], "a good reply")
	check_eq(view.canvas().trace.layers.size(), 3, "the canvas has the trace")
	view.free()


static func _ok(id: int, args: Dictionary, result: Dictionary) -> VaeStudioRequest:
	var request := VaeStudioRequest.new(id, "trace", args)
	request.finish({"v": 1, "id": id, "ok": true, "result": result})
	return request
