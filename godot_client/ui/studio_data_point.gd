class_name StudioDataPoint
extends RefCounted
## One data-set row and what the model makes of it: the row as the data set holds it (`data.get`),
## its posterior q(z|x) (`encode`: μ and log σ²) and the decode of μ, its reconstruction.
## [method inspect] asks the session's backend for all three in turn and hands the point over
## with the session's `data_point_received`; the inspector shows it.

## The data-set row, and its label (-1 when the data has none).
var row: int = -1
var label: int = -1
## Image data: the row and its reconstruction; null for vector data.
var original: Image
var reconstruction: Image
## Vector data: the row and its reconstruction, [D]; empty for images.
var original_values := PackedFloat32Array()
var reconstruction_values := PackedFloat32Array()
## The posterior of the row, [latent_dim] each.
var mu := PackedFloat32Array()
var logvar := PackedFloat32Array()
## What went wrong fetching it ("" when nothing did).
var error: String = ""


func _init(data_row: int = -1) -> void:
	row = data_row


## Fetches data-set row `row` as [member StudioSession.data_point]: `data.get`, then `encode`,
## then the decode of μ (with the row's own label for a conditional model). A newer call drops
## the older row's replies.
static func inspect(data_row: int) -> void:
	var point := StudioDataPoint.new(data_row)
	StudioSession.data_point = point
	StudioSession.send("data.get", {"indices": point._rows()}, point._on_reply.bind("data.get"))


## True once the row, its posterior and its reconstruction are all in.
func is_complete() -> bool:
	var has_original: bool = original != null or not original_values.is_empty()
	var has_recon: bool = reconstruction != null or not reconstruction_values.is_empty()
	return error.is_empty() and has_original and has_recon and not mu.is_empty()


func is_image() -> bool:
	return original != null


## Takes the `data.get` result of this one row; returns what is wrong, or "".
func take_data(result: Dictionary) -> String:
	var labels: Variant = result.get("labels")
	if labels is Dictionary:
		var values: PackedInt32Array = VaeStudioArray.to_int32(labels)
		label = values[0] if values.size() > 0 else -1
	return _take_sample(result, true)


## Takes the `encode` result of this one row; returns what is wrong, or "".
func take_encode(result: Dictionary) -> String:
	var mu_arr: Variant = result.get("mu")
	var logvar_arr: Variant = result.get("logvar")
	if not mu_arr is Dictionary or not logvar_arr is Dictionary:
		return "the encode reply carried no mu and logvar"
	mu = VaeStudioArray.to_float32(mu_arr)
	logvar = VaeStudioArray.to_float32(logvar_arr)
	if mu.is_empty() or mu.size() != logvar.size():
		return "the encode reply's mu and logvar do not match"
	return ""


## Takes the `decode` result of μ; returns what is wrong, or "".
func take_decode(result: Dictionary) -> String:
	return _take_sample(result, false)


## σ per dimension: exp(logvar / 2).
func sigma() -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(logvar.size())
	for d in logvar.size():
		out[d] = exp(logvar[d] * 0.5)
	return out


## KL(q(z|x) ‖ N(0, I)) of the row in nats: ½ Σ (μ² + σ² − 1 − log σ²).
func kl() -> float:
	var total: float = 0.0
	for d in mu.size():
		total += mu[d] * mu[d] + exp(logvar[d]) - 1.0 - logvar[d]
	return total * 0.5


## The mean squared difference between the row and its reconstruction: over pixels on a 0–1
## scale for images, over values for vector data; NAN while either is missing.
func recon_error() -> float:
	if original != null and reconstruction != null:
		var a: PackedByteArray = original.get_data()
		var b: PackedByteArray = reconstruction.get_data()
		if a.size() != b.size() or a.is_empty():
			return NAN
		var total: float = 0.0
		for i in a.size():
			var diff: float = (a[i] - b[i]) / 255.0
			total += diff * diff
		return total / a.size()
	var n: int = original_values.size()
	if n == 0 or n != reconstruction_values.size():
		return NAN
	var sum: float = 0.0
	for i in n:
		var d: float = original_values[i] - reconstruction_values[i]
		sum += d * d
	return sum / n


func _rows() -> Dictionary:
	return VaeStudioArray.from_int32(PackedInt32Array([row]), [1])


func _on_reply(request: VaeStudioRequest, op: String) -> void:
	if StudioSession.data_point != self:
		return  # a newer row was asked for
	if not request.is_ok():
		error = StudioSession.describe_failure(request)
	elif op == "data.get":
		error = take_data(request.result())
	elif op == "encode":
		error = take_encode(request.result())
	else:
		error = take_decode(request.result())
	if error.is_empty() and op == "data.get":
		StudioSession.send("encode", {"indices": _rows()}, _on_reply.bind("encode"))
	elif error.is_empty() and op == "encode":
		var args: Dictionary = {"z": VaeStudioArray.from_float32(mu, [1, mu.size()])}
		if StudioSession.is_conditional():
			var classes: int = StudioSession.num_classes()
			var wire_label := PackedInt32Array([clampi(label, 0, classes - 1)])
			args["labels"] = VaeStudioArray.from_int32(wire_label, [1])
		StudioSession.send("decode", args, _on_reply.bind("decode"))
	else:
		StudioSession.data_point_received.emit(self)


func _take_sample(result: Dictionary, is_original: bool) -> String:
	var images: Variant = result.get("images")
	var values: Variant = result.get("values")
	if images is Dictionary and VaeStudioArray.validate(images).is_empty():
		var image: Image = VaeStudioArray.to_image(images, 0)
		if image == null or image.is_empty():
			return "the reply's images array holds no image"
		if is_original:
			original = image
		else:
			reconstruction = image
		return ""
	if values is Dictionary and VaeStudioArray.validate(values).is_empty():
		var shape: Array = (values as Dictionary).get("shape", [])
		var all: PackedFloat32Array = VaeStudioArray.to_float32(values)
		var width: int = int(shape[-1]) if shape.size() == 2 else all.size()
		var first: PackedFloat32Array = all.slice(0, width)
		if is_original:
			original_values = first
		else:
			reconstruction_values = first
		return ""
	return "the reply carried no images or values array"
