class_name VaeStudioSafetensors
extends RefCounted
## Reads a safetensors file (the format of Hugging Face's safetensors library): 8 bytes holding the
## header's length N (unsigned, little-endian), N bytes of JSON header
##   {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
##    "__metadata__": {"key": "string value", ...}}
## then the tensors' bytes, offsets counted from the end of the header. Only F32 tensors are read
## (what `vaestudio export RUN --items godot` writes); any other dtype is refused by name.
##   var file := VaeStudioSafetensors.open("user://decoder.safetensors")
##   if not file.error.is_empty(): push_error(file.error)
##   var w: PackedFloat32Array = file.floats("decoder.body.0.weight", [128, 2])

## Header sizes above this are refused as corrupt (the safetensors library's own limit).
const MAX_HEADER_BYTES: int = 100_000_000
const ITEM_SIZES: Dictionary = {
	"F64": 8,
	"F32": 4,
	"F16": 2,
	"BF16": 2,
	"I64": 8,
	"I32": 4,
	"I16": 2,
	"I8": 1,
	"U8": 1,
	"BOOL": 1,
}

## Empty when the file was read; otherwise a sentence naming the file and what is wrong with it.
var error: String = ""
## The header's "__metadata__" map (string -> string).
var metadata: Dictionary = {}
var path: String = ""

## name -> {"dtype": String, "shape": Array[int], "begin": int, "end": int}
var _entries: Dictionary = {}
var _bytes: PackedByteArray = PackedByteArray()
var _data_start: int = 0


## Reads [param file_path] (res://, user:// or a file-system path). Check [member error] after.
static func open(file_path: String) -> VaeStudioSafetensors:
	var file := VaeStudioSafetensors.new()
	file.path = file_path
	file.error = file._read()
	return file


## Tensor names in the file (metadata left out).
func names() -> PackedStringArray:
	return PackedStringArray(_entries.keys())


func has(tensor: String) -> bool:
	return _entries.has(tensor)


## The shape of [param tensor] ([] when absent).
func shape_of(tensor: String) -> Array[int]:
	var entry: Dictionary = _entries.get(tensor, {})
	var shape: Array[int] = []
	shape.assign(entry.get("shape", []))
	return shape


## The F32 values of [param tensor] in C order. When it is missing, is not F32, or (with
## [param expected_shape] given) has another shape: an empty array, and [member error] says why.
func floats(tensor: String, expected_shape: Array = []) -> PackedFloat32Array:
	if not _entries.has(tensor):
		return _fail("%s has no tensor %s" % [path, tensor])
	var entry: Dictionary = _entries[tensor]
	if entry["dtype"] != "F32":
		return _fail(
			(
				(
					"%s: tensor %s is %s; this reader takes F32 only (export the run again with "
					+ "`vaestudio export RUN --items godot`, which writes F32)"
				)
				% [path, tensor, entry["dtype"]]
			)
		)
	if not expected_shape.is_empty() and str(entry["shape"]) != str(expected_shape):
		return _fail(
			(
				"%s: tensor %s has shape %s but its layer needs %s"
				% [path, tensor, str(entry["shape"]), str(expected_shape)]
			)
		)
	var begin: int = _data_start + int(entry["begin"])
	var end: int = _data_start + int(entry["end"])
	return _bytes.slice(begin, end).to_float32_array()


func _fail(message: String) -> PackedFloat32Array:
	if error.is_empty():
		error = message
	return PackedFloat32Array()


## Loads the bytes and checks the header; returns "" or the error sentence.
func _read() -> String:
	if not FileAccess.file_exists(path):
		return "no file at %s (make one with `vaestudio export RUN --items godot`)" % path
	_bytes = FileAccess.get_file_as_bytes(path)
	if _bytes.is_empty() and FileAccess.get_open_error() != OK:
		return "%s cannot be read: %s" % [path, error_string(FileAccess.get_open_error())]
	var header_size: int = _bytes.decode_u64(0) if _bytes.size() >= 8 else 0
	if header_size <= 0 or header_size > MAX_HEADER_BYTES or 8 + header_size > _bytes.size():
		return (
			(
				"%s is not a safetensors file or is cut short: %d bytes, and its first 8 say "
				+ "the header alone holds %d"
			)
			% [path, _bytes.size(), header_size]
		)
	_data_start = 8 + header_size
	var json := JSON.new()
	var text: String = _bytes.slice(8, _data_start).get_string_from_utf8()
	if json.parse(text) != OK or not json.data is Dictionary:
		return (
			"%s: its safetensors header is not a JSON map (%s)" % [path, json.get_error_message()]
		)
	var header: Dictionary = json.data
	var problem: String = ""
	for key: Variant in header:
		if problem.is_empty():
			problem = _add_entry(str(key), header[key])
	return "" if problem.is_empty() else "%s: %s" % [path, problem]


func _add_entry(key: String, value: Variant) -> String:
	if key == "__metadata__":
		metadata = value if value is Dictionary else {}
		return "" if value is Dictionary else "__metadata__ must be a map of strings"
	var d: Dictionary = value if value is Dictionary else {}
	var dtype: String = str(d.get("dtype", ""))
	var shape: Array[int] = _ints(d.get("shape"))
	var offsets: Array[int] = _ints(d.get("data_offsets"))
	var count: int = 1
	for s: int in shape:
		count *= s
	var data_size: int = _bytes.size() - _data_start
	var problem: String = ""
	if not ITEM_SIZES.has(dtype):
		problem = "tensor %s has no known dtype (got '%s')" % [key, dtype]
	elif d.get("shape") is not Array or shape.size() != (d["shape"] as Array).size():
		problem = "tensor %s has no valid shape (a list of non-negative integers)" % key
	elif offsets.size() != 2 or offsets[0] > offsets[1] or offsets[1] > data_size:
		problem = (
			"tensor %s lies outside the file (offsets %s, %d data bytes): the file is cut short"
			% [key, str(d.get("data_offsets")), data_size]
		)
	elif offsets[1] - offsets[0] != count * int(ITEM_SIZES[dtype]):
		problem = (
			"tensor %s: %d bytes do not hold a %s %s"
			% [key, offsets[1] - offsets[0], dtype, str(shape)]
		)
	else:
		_entries[key] = {"dtype": dtype, "shape": shape, "begin": offsets[0], "end": offsets[1]}
	return problem


## JSON numbers arrive as floats: the whole non-negative ones as ints, anything else dropped.
static func _ints(value: Variant) -> Array[int]:
	var out: Array[int] = []
	if value is Array:
		for v: Variant in value:
			if (v is float or v is int) and v >= 0 and float(v) == floorf(float(v)):
				out.append(int(v))
	return out
