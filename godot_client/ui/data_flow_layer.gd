class_name DataFlowLayer
extends RefCounted
## One layer of a `trace` reply (protocol: op `trace`, `layers`): what the layer put out for the
## traced example, after its activation function. The data-flow view draws a conv layer's
## [member activation] as maps (channel tiles) and a dense one's as bars.

## Module path, e.g. "encoder.body.0", and which half of the model it is in.
var name: String = ""
var part: String = ""
## "linear", "conv", "conv_transpose", …
var kind: String = ""
## The layer's full output shape, batch left out: [m] (dense) or [c, h, w] (conv).
var shape := PackedInt32Array()
## The values sent (at most 4096): [m'] for dense layers, [c', h', w'] for conv layers
## (the first c' channels, each map possibly average-pooled). Shape in [member activation_shape].
var activation := PackedFloat32Array()
var activation_shape := PackedInt32Array()
## Statistics over the whole output (not the downsampled values).
var mean: float = 0.0
var std: float = 0.0
var frac_zero: float = 0.0


## A layer from one map of the reply's `layers` list; `error` gets what is wrong ("" when fine).
static func from_map(map: Variant, where: String) -> Dictionary:
	if not map is Dictionary:
		return {"error": "%s is not a map" % where}
	var d: Dictionary = map
	var layer := DataFlowLayer.new()
	for key: String in ["name", "part", "kind"]:
		if not d.get(key) is String:
			return {"error": "%s has no %s string" % [where, key]}
	layer.name = d["name"]
	layer.part = d["part"]
	layer.kind = d["kind"]
	if not layer.part in ["encoder", "decoder"]:
		return {"error": "%s: part must be encoder or decoder, got %s" % [where, layer.part]}
	var shape: Variant = d.get("shape")
	if not shape is Array or (shape as Array).is_empty() or VaeStudioArray.element_count(shape) < 1:
		return {"error": "%s: shape must be a non-empty list of positive ints" % where}
	layer.shape = PackedInt32Array(shape)
	var act: Variant = d.get("activation")
	var problem: String = VaeStudioArray.validate(act)
	if problem.is_empty() and (act as Dictionary)["dtype"] != "f32":
		problem = "it must be f32"
	if not problem.is_empty():
		return {"error": "%s: activation: %s" % [where, problem]}
	layer.activation = VaeStudioArray.to_float32(act)
	layer.activation_shape = PackedInt32Array((act as Dictionary)["shape"])
	if layer.activation_shape.size() != layer.shape.size():
		return {
			"error":
			(
				"%s: activation shape %s must have as many axes as shape %s"
				% [where, layer.activation_shape, layer.shape]
			)
		}
	for key: String in ["mean", "std", "frac_zero"]:
		if not typeof(d.get(key)) in [TYPE_FLOAT, TYPE_INT]:
			return {"error": "%s has no number %s" % [where, key]}
	layer.mean = float(d["mean"])
	layer.std = float(d["std"])
	layer.frac_zero = float(d["frac_zero"])
	return {"layer": layer, "error": ""}


## True for a layer whose output is channels of maps ([c, h, w]): drawn as tiles.
func is_map() -> bool:
	return shape.size() == 3 and activation_shape.size() == 3


## The shape in words: "32×14×14" or "400".
func shape_text() -> String:
	var parts: PackedStringArray = []
	for s in shape:
		parts.append(str(s))
	return "×".join(parts)


## A short caption: "enc 0 · linear" from "encoder.body.0".
func short_name() -> String:
	var tail: String = name.get_slice(".", name.get_slice_count(".") - 1)
	return "%s %s" % ["enc" if part == "encoder" else "dec", tail]
