class_name StudioLatentFrame
extends RefCounted
## One `latent` stream message, checked and kept in wire form (raw little-endian bytes) so the
## point shader can read it as textures without a per-point GDScript loop. The points are the
## posterior means projected on `axis_count` axes (protocol §6.1); [method to_z] maps a point on
## those axes back to a full z.

var run: String = ""
var step: int = 0
var count: int = 0
## Width of z (the length of `center`, and of each `basis` row).
var latent_dim: int = 0
## k = min(latent_dim, 3): how many axes `coords` has.
var axis_count: int = 0
## "pca" or "dims".
var projection: String = ""
## Names of the axes, e.g. ["PC1", "PC2", "PC3"] or ["z0", "z1"].
var axes := PackedStringArray()
## f32 [count, axis_count], C order, as it came off the wire.
var coord_bytes := PackedByteArray()
## i32 [count]; empty when the stream carries no labels.
var label_bytes := PackedByteArray()
## The data-set row of each point, [count]; empty from a stream that sends no `indices`.
var indices := PackedInt32Array()
## "label", "loss" or "z<d>"; with anything but "label", `color_bytes` holds f32 [count].
var color_by: String = "label"
var color_bytes := PackedByteArray()
## [axis_count * latent_dim]: the axes as unit rows.
var basis := PackedFloat32Array()
## [latent_dim]: the mean of the points, the default anchor of [method to_z].
var center := PackedFloat32Array()
## [axis_count]: the share of variance along each axis (0–1).
var explained := PackedFloat32Array()
## [latent_dim]: the standard deviation of each dimension.
var scale := PackedFloat32Array()
## [latent_dim]: the mean KL of each dimension, in nats.
var kl_per_dim := PackedFloat32Array()
var error: String = ""

var _coords := PackedFloat32Array()
var _bounds := Rect2()
var _bounds_done: bool = false
var _color_range := Vector2.ZERO
var _color_range_done: bool = false
var _labels := PackedInt32Array()


## Builds a frame from a `latent` message; on a malformed message `error` names the bad field.
static func from_message(message: Dictionary) -> StudioLatentFrame:
	var frame := StudioLatentFrame.new()
	frame.run = str(message.get("run", ""))
	var step_value: Variant = message.get("step", 0)
	frame.step = int(step_value) if typeof(step_value) in [TYPE_INT, TYPE_FLOAT] else 0
	frame.error = frame._parse(message)
	return frame


func has_labels() -> bool:
	return not label_bytes.is_empty()


## True when the points are coloured by `color` values (loss or a dimension), not by label.
func has_color_values() -> bool:
	return color_by != "label" and not color_bytes.is_empty()


## The label of point `i` (not its row), or -1 when the data has none.
func label_of(i: int) -> int:
	if _labels.is_empty() and not label_bytes.is_empty():
		_labels = label_bytes.to_int32_array()
	return _labels[i] if i >= 0 and i < _labels.size() else -1


## The data-set row of point `i`, or -1 when the stream sent no indices.
func row_of(i: int) -> int:
	return indices[i] if i >= 0 and i < indices.size() else -1


## The point (0…count−1) showing data-set row `row`, or -1 when this frame does not hold it.
func point_of_row(row: int) -> int:
	return indices.find(row)


## Point `i` on the first two axes (y = 0 with a single axis).
func point_2d(i: int) -> Vector2:
	var values: PackedFloat32Array = coords()
	var base: int = i * axis_count
	return Vector2(values[base], values[base + 1] if axis_count > 1 else 0.0)


## Point `i` on all three axes (the ones the frame lacks are 0).
func point_3d(i: int) -> Vector3:
	var values: PackedFloat32Array = coords()
	var base: int = i * axis_count
	var out := Vector3.ZERO
	for a in axis_count:
		out[a] = values[base + a]
	return out


## The point nearest `p` on the first two axes within `radius` (axes units), or -1.
func nearest_point(p: Vector2, radius: float) -> int:
	var values: PackedFloat32Array = coords()
	var best: int = -1
	var best_d2: float = radius * radius
	var has_y: bool = axis_count > 1
	for i in count:
		var dx: float = values[i * axis_count] - p.x
		var dy: float = (values[i * axis_count + 1] if has_y else 0.0) - p.y
		var d2: float = dx * dx + dy * dy
		if d2 <= best_d2:
			best_d2 = d2
			best = i
	return best


## The extent of the points on (up to) three axes without the outermost 0.5 % on each side.
func bounds_3d() -> AABB:
	if count == 0:
		return AABB()
	var values: PackedFloat32Array = coords()
	var lo := Vector3.ZERO
	var hi := Vector3.ZERO
	for a in axis_count:
		var column := PackedFloat32Array()
		column.resize(count)
		for i in count:
			column[i] = values[i * axis_count + a]
		column.sort()
		var cut: int = int(count * 0.005)
		lo[a] = column[cut]
		hi[a] = column[count - 1 - cut]
	return AABB(lo, hi - lo)


## All coordinates as floats, [count * axis_count].
func coords() -> PackedFloat32Array:
	if _coords.is_empty() and not coord_bytes.is_empty():
		_coords = coord_bytes.to_float32_array()
	return _coords


## The full z (latent_dim values) of point `p` on the axes, through `anchor` (empty: `center`):
## z = a + basisᵀ (p − basis · a). `p` is a Vector2 or Vector3; axes it does not give (the third
## of three, or the second of one) keep the anchor's own coordinate.
func to_z(p: Variant, anchor: PackedFloat32Array = PackedFloat32Array()) -> PackedFloat32Array:
	var a: PackedFloat32Array = center if anchor.size() != latent_dim else anchor
	var given: PackedFloat32Array = _components(p)
	var z: PackedFloat32Array = a.duplicate()
	var along: PackedFloat32Array = project(a)
	for i in mini(given.size(), axis_count):
		var shift: float = given[i] - along[i]
		var row: int = i * latent_dim
		for d in latent_dim:
			z[d] += basis[row + d] * shift
	return z


## The coordinates of a full `z` on the axes: basis · z, [axis_count].
func project(z: PackedFloat32Array) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(axis_count)
	if z.size() != latent_dim:
		return out
	for i in axis_count:
		var row: int = i * latent_dim
		var dot: float = 0.0
		for d in latent_dim:
			dot += basis[row + d] * z[d]
		out[i] = dot
	return out


## The point of `z` on the plane of the first two axes (y = 0 with a single axis).
func project_2d(z: PackedFloat32Array) -> Vector2:
	var p: PackedFloat32Array = project(z)
	return Vector2(p[0] if p.size() > 0 else 0.0, p[1] if p.size() > 1 else 0.0)


## "PC1 · 31 % of variance" (with `long`) or "PC2 · 12 %" for a principal axis; the name alone
## (e.g. "z5") for a dimension. "" for an axis this frame lacks.
func axis_caption(axis: int, long: bool = false) -> String:
	if axis < 0 or axis >= axes.size():
		return ""
	if projection != "pca" or axis >= explained.size():
		return axes[axis]
	var share: int = roundi(explained[axis] * 100.0)
	return "%s · %d %%%s" % [axes[axis], share, " of variance" if long else ""]


## The extent of the first two axes without the outermost 0.5 % on each side.
func bounds() -> Rect2:
	if _bounds_done or count == 0:
		return _bounds
	_bounds_done = true
	var values := coords()
	var xs := PackedFloat32Array()
	var ys := PackedFloat32Array()
	xs.resize(count)
	ys.resize(count)
	var has_y: bool = axis_count > 1
	for i in count:
		xs[i] = values[i * axis_count]
		ys[i] = values[i * axis_count + 1] if has_y else 0.0
	xs.sort()
	ys.sort()
	var lo: int = int(count * 0.005)
	var hi: int = count - 1 - lo
	_bounds = Rect2(xs[lo], ys[lo], xs[hi] - xs[lo], ys[hi] - ys[lo])
	return _bounds


## The lowest and highest `color` value (x, y); zero when the points are coloured by label.
func color_range() -> Vector2:
	if _color_range_done or not has_color_values():
		return _color_range
	_color_range_done = true
	var values: PackedFloat32Array = color_bytes.to_float32_array()
	var lo: float = INF
	var hi: float = -INF
	for value in values:
		if is_finite(value):
			lo = minf(lo, value)
			hi = maxf(hi, value)
	_color_range = Vector2(lo, hi) if lo <= hi else Vector2.ZERO
	return _color_range


func _parse(message: Dictionary) -> String:
	for part: Callable in [_parse_coords, _parse_vectors, _parse_names, _parse_per_point]:
		var problem: String = part.call(message)
		if not problem.is_empty():
			return problem
	return ""


## `coords` [N, k] and `basis` [k, latent_dim].
func _parse_coords(message: Dictionary) -> String:
	var coord_dict: Dictionary = {}
	var problem: String = _array_field(message, "coords", "f32", 2, coord_dict)
	if not problem.is_empty():
		return problem
	var shape: Array = coord_dict["shape"]
	count = int(shape[0])
	axis_count = int(shape[1])
	if axis_count < 1 or axis_count > 3:
		return "coords must have 1 to 3 axes, got %d" % axis_count
	coord_bytes = coord_dict["data"]
	var basis_dict: Dictionary = {}
	problem = _array_field(message, "basis", "f32", 2, basis_dict)
	if not problem.is_empty():
		return problem
	var basis_shape: Array = basis_dict["shape"]
	latent_dim = int(basis_shape[1])
	if int(basis_shape[0]) != axis_count or latent_dim < axis_count:
		return (
			"basis must be f32 [%d, latent_dim ≥ %d], got %s"
			% [axis_count, axis_count, basis_shape]
		)
	basis = (basis_dict["data"] as PackedByteArray).to_float32_array()
	return ""


## `center`, `scale`, `kl_per_dim` [latent_dim] and `explained` [k].
func _parse_vectors(message: Dictionary) -> String:
	var vectors: Dictionary = {
		"center": latent_dim, "explained": axis_count, "scale": latent_dim, "kl_per_dim": latent_dim
	}
	var parsed: Dictionary = {}
	for field: String in vectors:
		var field_dict: Dictionary = {}
		var problem: String = _array_field(message, field, "f32", 1, field_dict, [vectors[field]])
		if not problem.is_empty():
			return problem
		parsed[field] = (field_dict["data"] as PackedByteArray).to_float32_array()
	center = parsed["center"]
	explained = parsed["explained"]
	scale = parsed["scale"]
	kl_per_dim = parsed["kl_per_dim"]
	return ""


## `color` [N] (unless coloured by label), `labels` [N] (when the data has labels) and
## `indices` [N].
func _parse_per_point(message: Dictionary) -> String:
	var problem: String = ""
	if color_by != "label":
		var color_dict: Dictionary = {}
		problem = _array_field(message, "color", "f32", 1, color_dict, [count])
		color_bytes = color_dict.get("data", PackedByteArray())
	if problem.is_empty() and message.has("labels"):
		var label_dict: Dictionary = {}
		problem = _array_field(message, "labels", "i32", 1, label_dict, [count])
		label_bytes = label_dict.get("data", PackedByteArray())
	if problem.is_empty() and message.has("indices"):
		var index_dict: Dictionary = {}
		problem = _array_field(message, "indices", "i32", 1, index_dict, [count])
		indices = (index_dict.get("data", PackedByteArray()) as PackedByteArray).to_int32_array()
	return problem


func _parse_names(message: Dictionary) -> String:
	var names: Variant = message.get("axes")
	if not names is Array or (names as Array).size() != axis_count:
		return "axes must list %d names, got %s" % [axis_count, names]
	for name: Variant in names:
		if typeof(name) != TYPE_STRING:
			return "axes must be names (str), got %s" % [names]
		axes.append(name)
	var kind: Variant = message.get("projection")
	if kind not in ["pca", "dims"]:
		return "projection must be 'pca' or 'dims', got %s" % [kind]
	projection = kind
	var by: Variant = message.get("color_by", "label")
	if typeof(by) != TYPE_STRING:
		return "color_by must be a str, got %s" % [by]
	color_by = by
	return ""


## Checks `message[field]` is a wire array of `dtype` with `rank` dims (and `shape` when given),
## copying it into `out`; returns what is wrong, naming the field, or "".
static func _array_field(
	message: Dictionary, field: String, dtype: String, rank: int, out: Dictionary, shape := []
) -> String:
	var value: Variant = message.get(field)
	if typeof(value) != TYPE_DICTIONARY:
		return "latent message without a %s array" % field
	var arr: Dictionary = value
	var problem: String = VaeStudioArray.validate(arr)
	if not problem.is_empty():
		return "%s: %s" % [field, problem]
	var got: Array = arr.get("shape", [])
	var shape_ok: bool = got.size() == rank
	for i in shape.size():
		shape_ok = shape_ok and int(got[i]) == int(shape[i])
	if arr.get("dtype") != dtype or not shape_ok:
		var wanted: String = str(shape) if not shape.is_empty() else "of rank %d" % rank
		return "%s must be %s %s, got %s %s" % [field, dtype, wanted, arr.get("dtype"), got]
	out.merge(arr)
	return ""


static func _components(p: Variant) -> PackedFloat32Array:
	if p is Vector3:
		var v3: Vector3 = p
		return PackedFloat32Array([v3.x, v3.y, v3.z])
	if p is Vector2:
		var v2: Vector2 = p
		return PackedFloat32Array([v2.x, v2.y])
	if p is PackedFloat32Array:
		return p
	return PackedFloat32Array()
