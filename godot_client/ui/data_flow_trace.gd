class_name DataFlowTrace
extends RefCounted
## A `trace` reply as the data-flow view draws it (protocol: op `trace`): the example, each
## layer's output, the posterior (μ, log σ²), the noise ε and z = μ + σ·ε, the reconstruction,
## the example's loss terms and the variant's own fields. [method from_result] checks the reply;
## a malformed one gives a trace whose [member error] names what is wrong.

var run: String = ""
var step: int = 0
var model: String = ""
## The data-set row traced (-1 when an `x` was traced), and the class that entered the model
## (conditional) or the row's label (-1 for none).
var index: int = -1
var label: int = -1
## The example and the decoder's mean: an image, or the values of vector data ([D]).
var input_image: Image
var input_values := PackedFloat32Array()
var recon_image: Image
var recon_values := PackedFloat32Array()
## Forward order: the encoder's layers, then the decoder's.
var layers: Array[DataFlowLayer] = []
## [Z] each, as sent.
var mu := PackedFloat32Array()
var logvar := PackedFloat32Array()
var eps := PackedFloat32Array()
var z := PackedFloat32Array()
## The example's loss terms (nats): `loss`, `recon`, `kl`, `beta` and the variant's scalars.
var loss: Dictionary = {}
var kl_per_dim := PackedFloat32Array()
## iwae: k samples of z ([k] of [Z]) and their normalised importance weights [k].
var iw_z: Array[PackedFloat32Array] = []
var iw_weights := PackedFloat32Array()
## vq_vae: the nearest codebook vector's index (-1: none) and the vector itself [Z].
var code_index: int = -1
var code := PackedFloat32Array()
## vamp: up to 16 pseudo-inputs, as images or rows of values.
var pseudo_images: Array[Image] = []
var pseudo_values: Array[PackedFloat32Array] = []
## What is wrong with the reply ("" when it is well formed).
var error: String = ""


## The trace of a `trace` result map.
static func from_result(result: Dictionary) -> DataFlowTrace:
	var trace := DataFlowTrace.new()
	trace.error = trace._take(result)
	return trace


## σ per dimension: exp(½ log σ²).
func sigma() -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(logvar.size())
	for d in logvar.size():
		out[d] = exp(0.5 * logvar[d])
	return out


## σ·ε per dimension, the noise the reparameterisation adds to μ.
func sigma_eps() -> PackedFloat32Array:
	var s: PackedFloat32Array = sigma()
	for d in s.size():
		s[d] *= eps[d]
	return s


## The largest |z − (μ + σ·ε)| over the dimensions: the reparameterisation identity's error.
func identity_error() -> float:
	var noise: PackedFloat32Array = sigma_eps()
	var worst: float = 0.0
	for d in z.size():
		worst = maxf(worst, absf(z[d] - (mu[d] + noise[d])))
	return worst


func latent_dim() -> int:
	return z.size()


func encoder_layers() -> Array[DataFlowLayer]:
	return layers.filter(func(layer: DataFlowLayer) -> bool: return layer.part == "encoder")


func decoder_layers() -> Array[DataFlowLayer]:
	return layers.filter(func(layer: DataFlowLayer) -> bool: return layer.part == "decoder")


func is_image() -> bool:
	return input_image != null


## Takes the whole result; returns what is wrong, or "".
func _take(result: Dictionary) -> String:
	run = str(result.get("run", ""))
	step = int(result.get("step", 0)) if typeof(result.get("step")) == TYPE_INT else 0
	model = str(result.get("model", ""))
	index = int(result["index"]) if typeof(result.get("index")) == TYPE_INT else -1
	label = int(result["label"]) if typeof(result.get("label")) == TYPE_INT else -1
	var problem: String = _take_sample(result.get("input"), true)
	if problem.is_empty():
		problem = _take_sample(result.get("recon"), false)
	if problem.is_empty():
		problem = _take_layers(result.get("layers"))
	if problem.is_empty():
		problem = _take_latent(result)
	if problem.is_empty():
		problem = _take_loss(result.get("loss"))
	if problem.is_empty():
		problem = _take_variant(result)
	return problem


func _take_sample(map: Variant, is_input: bool) -> String:
	var what: String = "input" if is_input else "recon"
	var arr: Variant = _array_of(map)
	var problem: String = VaeStudioArray.validate(arr)
	if not problem.is_empty():
		return "%s: %s" % [what, problem]
	var shape: Array = (arr as Dictionary)["shape"]
	if (arr as Dictionary)["dtype"] == "u8":
		if not _is_image_batch(shape, 1):
			return "%s images must be u8 [1, h, w] or [1, h, w, 1|3|4], got %s" % [what, shape]
		var image: Image = VaeStudioArray.to_image(arr, 0)
		if is_input:
			input_image = image
		else:
			recon_image = image
		return ""
	if (arr as Dictionary)["dtype"] != "f32" or shape.size() != 2 or int(shape[0]) != 1:
		return (
			"%s must be u8 images or f32 values [1, D], got %s %s"
			% [what, (arr as Dictionary)["dtype"], shape]
		)
	if is_input:
		input_values = VaeStudioArray.to_float32(arr)
	else:
		recon_values = VaeStudioArray.to_float32(arr)
	return ""


## The array map itself (as the contract sends `input`, `recon`, `pseudo_inputs`), or the one
## under `images` / `values` of a `data.get`-like map.
static func _array_of(map: Variant) -> Variant:
	if map is Dictionary and not (map as Dictionary).has("dtype"):
		return (map as Dictionary).get("images", (map as Dictionary).get("values"))
	return map


## True for a u8 shape [n, h, w] or [n, h, w, 1|3|4] with n ≥ `at_least` images.
static func _is_image_batch(shape: Array, at_least: int) -> bool:
	var channels_ok: bool = shape.size() == 3 or (shape.size() == 4 and int(shape[3]) in [1, 3, 4])
	return channels_ok and int(shape[0]) >= at_least and int(shape[1]) > 0 and int(shape[2]) > 0


func _take_layers(list: Variant) -> String:
	if not list is Array:
		return "the reply has no layers list"
	for i in (list as Array).size():
		var got: Dictionary = DataFlowLayer.from_map(list[i], "layers[%d]" % i)
		if not str(got["error"]).is_empty():
			return got["error"]
		layers.append(got["layer"])
	return ""


func _take_latent(result: Dictionary) -> String:
	var rows: Dictionary = {}
	for key: String in ["mu", "logvar", "eps", "z"]:
		var arr: Variant = result.get(key)
		var problem: String = VaeStudioArray.validate(arr)
		if problem.is_empty() and (arr as Dictionary)["dtype"] != "f32":
			problem = "it must be f32"
		if problem.is_empty() and ((arr as Dictionary)["shape"] as Array).size() != 2:
			problem = "it must be [1, Z], got %s" % str((arr as Dictionary)["shape"])
		if not problem.is_empty():
			return "%s: %s" % [key, problem]
		rows[key] = VaeStudioArray.to_float32(arr)
	mu = rows["mu"]
	logvar = rows["logvar"]
	eps = rows["eps"]
	z = rows["z"]
	if mu.is_empty() or not (logvar.size() == mu.size() and eps.size() == mu.size()):
		return "mu, logvar and eps must all be [1, Z] of the same Z"
	if z.size() != mu.size():
		return "z must be [1, %d] like mu, got %d values" % [mu.size(), z.size()]
	return ""


func _take_loss(map: Variant) -> String:
	if not map is Dictionary:
		return "the reply has no loss map"
	for key: Variant in map:
		var value: Variant = (map as Dictionary)[key]
		if typeof(value) in [TYPE_FLOAT, TYPE_INT]:
			loss[str(key)] = float(value)
	for key: String in ["loss", "recon", "kl"]:
		if not loss.has(key):
			return "loss has no number %s" % key
	var per_dim: Variant = (map as Dictionary).get("kl_per_dim")
	if VaeStudioArray.validate(per_dim).is_empty() and (per_dim as Dictionary)["dtype"] == "f32":
		kl_per_dim = VaeStudioArray.to_float32(per_dim)
	if kl_per_dim.size() != mu.size():
		return "loss.kl_per_dim must be f32 [%d]" % mu.size()
	return ""


func _take_variant(result: Dictionary) -> String:
	var problem: String = ""
	if result.get("iw") is Dictionary:
		problem = _take_iw(result["iw"])
	if problem.is_empty() and typeof(result.get("code_index")) == TYPE_INT:
		code_index = result["code_index"]
		var arr: Variant = result.get("code")
		if VaeStudioArray.validate(arr).is_empty() and (arr as Dictionary)["dtype"] == "f32":
			code = VaeStudioArray.to_float32(arr)
		if code.size() != mu.size():
			problem = "code must be f32 [%d] beside code_index" % mu.size()
	if problem.is_empty() and result.has("pseudo_inputs"):
		problem = _take_pseudo(result["pseudo_inputs"])
	return problem


func _take_iw(iw: Dictionary) -> String:
	var z_arr: Variant = iw.get("z")
	var w_arr: Variant = iw.get("weights")
	for arr: Variant in [z_arr, w_arr]:
		if not VaeStudioArray.validate(arr).is_empty() or (arr as Dictionary)["dtype"] != "f32":
			return "iw.z and iw.weights must be f32 arrays"
	var shape: Array = (z_arr as Dictionary)["shape"]
	iw_weights = VaeStudioArray.to_float32(w_arr)
	if shape.size() != 2 or int(shape[1]) != mu.size() or int(shape[0]) != iw_weights.size():
		return "iw.z must be [k, %d] with k = the %d weights" % [mu.size(), iw_weights.size()]
	var flat: PackedFloat32Array = VaeStudioArray.to_float32(z_arr)
	for k in iw_weights.size():
		iw_z.append(flat.slice(k * mu.size(), (k + 1) * mu.size()))
	return ""


func _take_pseudo(map: Variant) -> String:
	var arr: Variant = _array_of(map)
	if not VaeStudioArray.validate(arr).is_empty():
		return "pseudo_inputs must hold an images or values array"
	var shape: Array = (arr as Dictionary)["shape"]
	if (arr as Dictionary)["dtype"] == "u8" and _is_image_batch(shape, 0):
		for i in int(shape[0]):
			pseudo_images.append(VaeStudioArray.to_image(arr, i))
		return ""
	if (arr as Dictionary)["dtype"] == "f32" and shape.size() == 2:
		var flat: PackedFloat32Array = VaeStudioArray.to_float32(arr)
		var width: int = int(shape[1])
		for i in int(shape[0]):
			pseudo_values.append(flat.slice(i * width, (i + 1) * width))
		return ""
	return "pseudo_inputs must be u8 [K, h, w(, c)] images or f32 [K, D] values"
