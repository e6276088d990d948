class_name VaeStudioArray
extends RefCounted
## Helpers for the wire array form {"dtype": "f32"|"u8"|"i32", "shape": [...], "data": bin}
## (little-endian, C order). Conversions are single native calls on the PackedByteArray, so a
## 10 000-point frame costs microseconds, not a GDScript loop.

const ITEM_SIZES: Dictionary = {"f32": 4, "u8": 1, "i32": 4}


## Empty string when [param arr] is a well-formed wire array, else a sentence saying what is wrong.
static func validate(arr: Variant) -> String:
	if not arr is Dictionary:
		return "array must be a map with dtype, shape and data, got %s" % type_string(typeof(arr))
	var d: Dictionary = arr
	var problem: String = ""
	if not (d.get("dtype") is String and ITEM_SIZES.has(d["dtype"])):
		problem = "unknown dtype %s; accepted: f32, u8, i32" % str(d.get("dtype"))
	elif not d.get("shape") is Array:
		problem = "shape must be a list of non-negative ints"
	elif not d.get("data") is PackedByteArray:
		problem = "data must be msgpack bin, got %s" % type_string(typeof(d.get("data")))
	else:
		var count: int = element_count(d["shape"])
		if count < 0:
			problem = "shape %s must be a list of non-negative ints" % str(d["shape"])
		else:
			var expected: int = count * int(ITEM_SIZES[d["dtype"]])
			var actual: int = (d["data"] as PackedByteArray).size()
			if actual != expected:
				problem = (
					"data holds %d bytes but %s shape %s needs %d"
					% [actual, d["dtype"], str(d["shape"]), expected]
				)
	return problem


## Product of [param shape], or -1 when it holds anything but non-negative ints.
static func element_count(shape: Array) -> int:
	var count: int = 1
	for dim: Variant in shape:
		if not dim is int or dim < 0:
			return -1
		count *= dim
	return count


## The values of an f32 array in C order; empty (with an error) when it is not a valid f32 array.
static func to_float32(arr: Dictionary) -> PackedFloat32Array:
	if not _check(arr, "f32"):
		return PackedFloat32Array()
	return (arr["data"] as PackedByteArray).to_float32_array()


## The values of an i32 array in C order; empty (with an error) when it is not a valid i32 array.
static func to_int32(arr: Dictionary) -> PackedInt32Array:
	if not _check(arr, "i32"):
		return PackedInt32Array()
	return (arr["data"] as PackedByteArray).to_int32_array()


## Image [param index] of a u8 batch: shape [n, h, w] gives FORMAT_L8, [n, h, w, 3] FORMAT_RGB8,
## [n, h, w, 4] FORMAT_RGBA8. Null (with an error) for any other shape or a bad index.
static func to_image(arr: Dictionary, index: int = 0) -> Image:
	if not _check(arr, "u8"):
		return null
	var shape: Array = arr["shape"]
	var channels: int = 0
	if shape.size() == 3:
		channels = 1
	elif shape.size() == 4:
		channels = shape[3]
	var formats: Dictionary = {1: Image.FORMAT_L8, 3: Image.FORMAT_RGB8, 4: Image.FORMAT_RGBA8}
	if not formats.has(channels):
		push_error("VaeStudioArray.to_image: shape %s is not [n, h, w] or [n, h, w, 3|4]" % shape)
		return null
	var n: int = shape[0]
	var h: int = shape[1]
	var w: int = shape[2]
	if index < 0 or index >= n or h <= 0 or w <= 0:
		push_error(
			"VaeStudioArray.to_image: image %d of %d (%dx%d) is unavailable" % [index, n, w, h]
		)
		return null
	var size: int = h * w * channels
	var data: PackedByteArray = arr["data"]
	return Image.create_from_data(
		w, h, false, formats[channels], data.slice(index * size, (index + 1) * size)
	)


## Wraps float values as an f32 wire array; [param shape] must hold exactly values.size() items.
static func from_float32(values: PackedFloat32Array, shape: Array) -> Dictionary:
	if element_count(shape) != values.size():
		push_error(
			"VaeStudioArray.from_float32: %d values do not fill shape %s" % [values.size(), shape]
		)
	return {"dtype": "f32", "shape": shape.duplicate(), "data": values.to_byte_array()}


## Wraps int values as an i32 wire array.
static func from_int32(values: PackedInt32Array, shape: Array) -> Dictionary:
	if element_count(shape) != values.size():
		push_error(
			"VaeStudioArray.from_int32: %d values do not fill shape %s" % [values.size(), shape]
		)
	return {"dtype": "i32", "shape": shape.duplicate(), "data": values.to_byte_array()}


static func _check(arr: Dictionary, dtype: String) -> bool:
	var problem: String = validate(arr)
	if problem.is_empty() and arr["dtype"] != dtype:
		problem = "expected a %s array, got %s" % [dtype, arr["dtype"]]
	if not problem.is_empty():
		push_error("VaeStudioArray: " + problem)
		return false
	return true
