class_name StudioLatentFrame
extends RefCounted
## One `latent` stream message, checked and kept in wire form (raw little-endian bytes) so the
## point shader can read it as textures without a per-point GDScript loop.

var run: String = ""
var step: int = 0
var count: int = 0
var latent_dim: int = 0
## f32 [count, latent_dim], C order, as it came off the wire.
var coord_bytes := PackedByteArray()
## i32 [count]; empty when the stream carries no labels.
var label_bytes := PackedByteArray()
var error: String = ""

var _coords := PackedFloat32Array()
var _bounds := Rect2()
var _centroid := PackedFloat32Array()
var _bounds_done: bool = false


## Builds a frame from a `latent` message; on a malformed message `error` says what was wrong.
static func from_message(message: Dictionary) -> StudioLatentFrame:
	var frame := StudioLatentFrame.new()
	frame.run = str(message.get("run", ""))
	var step_value: Variant = message.get("step", 0)
	frame.step = int(step_value) if typeof(step_value) in [TYPE_INT, TYPE_FLOAT] else 0
	var coords_value: Variant = message.get("coords")
	if typeof(coords_value) != TYPE_DICTIONARY:
		frame.error = "latent message without a coords array"
		return frame
	var coord_dict: Dictionary = coords_value
	var problem: String = VaeStudioArray.validate(coord_dict)
	var shape: Array = coord_dict.get("shape", [])
	if problem.is_empty() and (coord_dict.get("dtype") != "f32" or shape.size() != 2):
		problem = "coords must be f32 [N, latent_dim]"
	if problem.is_empty() and int(shape[1]) < 1:
		problem = "coords has no latent dimension"
	if not problem.is_empty():
		frame.error = problem
		return frame
	frame.count = int(shape[0])
	frame.latent_dim = int(shape[1])
	frame.coord_bytes = coord_dict["data"]
	var labels: Variant = message.get("labels")
	if typeof(labels) == TYPE_DICTIONARY:
		var label_dict: Dictionary = labels
		var label_shape: Array = label_dict.get("shape", [])
		if (
			VaeStudioArray.validate(label_dict).is_empty()
			and label_dict.get("dtype") == "i32"
			and label_shape.size() == 1
			and int(label_shape[0]) == frame.count
		):
			frame.label_bytes = label_dict["data"]
	return frame


func has_labels() -> bool:
	return not label_bytes.is_empty()


## All coordinates as floats, [count * latent_dim].
func coords() -> PackedFloat32Array:
	if _coords.is_empty() and not coord_bytes.is_empty():
		_coords = coord_bytes.to_float32_array()
	return _coords


## The extent of the first two dimensions without the outermost 0.5 % on each side.
func bounds() -> Rect2:
	if _bounds_done or count == 0:
		return _bounds
	_bounds_done = true
	var values := coords()
	var xs := PackedFloat32Array()
	var ys := PackedFloat32Array()
	xs.resize(count)
	ys.resize(count)
	var second: int = 1 if latent_dim > 1 else 0
	for i in count:
		xs[i] = values[i * latent_dim]
		ys[i] = values[i * latent_dim + second]
	xs.sort()
	ys.sort()
	var lo: int = int(count * 0.005)
	var hi: int = count - 1 - lo
	_bounds = Rect2(xs[lo], ys[lo], xs[hi] - xs[lo], ys[hi] - ys[lo])
	return _bounds


## Mean of every dimension, [latent_dim].
func centroid() -> PackedFloat32Array:
	if _centroid.size() == latent_dim:
		return _centroid
	var sums := PackedFloat64Array()
	sums.resize(latent_dim)
	sums.fill(0.0)
	var values := coords()
	for i in count:
		var base: int = i * latent_dim
		for d in latent_dim:
			sums[d] += values[base + d]
	_centroid.resize(latent_dim)
	for d in latent_dim:
		_centroid[d] = sums[d] / maxi(count, 1)
	return _centroid
