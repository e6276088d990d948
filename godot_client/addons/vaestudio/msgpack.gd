class_name VaeStudioMsgpack
extends RefCounted
## MessagePack encoder and strict decoder in pure GDScript (https://msgpack.org spec).
##
## Mapping between msgpack and Godot:
## - nil, bool, int (all widths), str (UTF-8) and array/map map to null, bool, int, String,
##   Array and Dictionary. Map keys may be any decoded value.
## - bin <-> PackedByteArray, so wire arrays stay packed and convert natively.
## - float32 and float64 both decode to float. GDScript floats always encode as float64; wrap a
##   value in [VaeStudioMsgpack.Float32] to write a float32.
## - uint64 values above the int64 maximum do not fit a GDScript int and are rejected.
## - ext values are surfaced (not skipped) as [VaeStudioMsgpack.Ext] objects holding the type and
##   raw payload; encoding an Ext writes it back unchanged, so they round-trip.
##
## [method decode] never crashes or loops on hostile input: every length is checked against the
## bytes that remain before anything is allocated, nesting is limited, trailing bytes, reserved
## 0xc1 and invalid UTF-8 are errors.

## Deeper nesting than this is refused, so hostile input cannot exhaust the script stack.
const MAX_DEPTH: int = 100


## A float to be written as msgpack float32 (GDScript floats are 64-bit).
class Float32:
	extends RefCounted
	var value: float

	func _init(v: float = 0.0) -> void:
		value = v


## An ext value: application type (-128..127) and its raw payload.
class Ext:
	extends RefCounted
	var type: int
	var data: PackedByteArray

	func _init(t: int = 0, d: PackedByteArray = PackedByteArray()) -> void:
		type = t
		data = d


class _Reader:
	extends RefCounted
	var data: PackedByteArray
	var pos: int = 0
	var error: String = ""

	func _init(bytes: PackedByteArray) -> void:
		data = bytes

	func remaining() -> int:
		return data.size() - pos

	func fail(message: String) -> void:
		if error.is_empty():
			error = "%s (at byte %d)" % [message, pos]


## Encodes [param value] with the smallest msgpack form for each item. Supports null, bool, int,
## float, String, StringName, PackedByteArray, PackedStringArray, Array, Dictionary, Float32 and
## Ext. Returns an empty array (never valid msgpack) and pushes an error for anything else.
static func encode(value: Variant) -> PackedByteArray:
	var buf := StreamPeerBuffer.new()
	buf.big_endian = true
	var problem: String = _encode_into(buf, value, 0)
	if not problem.is_empty():
		push_error("VaeStudioMsgpack.encode: " + problem)
		return PackedByteArray()
	return buf.data_array


## Decodes exactly one msgpack value that must fill [param bytes] completely.
## Returns {"ok": true, "value": v} or {"ok": false, "error": "sentence"}.
static func decode(bytes: PackedByteArray) -> Dictionary:
	var r := _Reader.new(bytes)
	var value: Variant = _read_value(r, 0)
	if r.error.is_empty() and r.remaining() > 0:
		r.fail("%d trailing bytes after the value" % r.remaining())
	if not r.error.is_empty():
		return {"ok": false, "error": "invalid msgpack: " + r.error}
	return {"ok": true, "value": value}


static func _encode_into(buf: StreamPeerBuffer, value: Variant, depth: int) -> String:
	if depth > MAX_DEPTH:
		return "nesting deeper than %d levels" % MAX_DEPTH
	var problem: String = ""
	match typeof(value):
		TYPE_NIL:
			buf.put_u8(0xc0)
		TYPE_BOOL:
			buf.put_u8(0xc3 if value else 0xc2)
		TYPE_INT:
			_encode_int(buf, value)
		TYPE_FLOAT:
			buf.put_u8(0xcb)
			buf.put_double(value)
		TYPE_STRING, TYPE_STRING_NAME:
			_encode_str(buf, String(value))
		TYPE_PACKED_BYTE_ARRAY:
			_encode_bin(buf, value)
		TYPE_ARRAY, TYPE_PACKED_STRING_ARRAY:
			_put_head(buf, value.size(), 0x90, 0xdc, 0xdd)
			for item: Variant in value:
				problem = _encode_into(buf, item, depth + 1)
				if not problem.is_empty():
					break
		TYPE_DICTIONARY:
			var dict: Dictionary = value
			_put_head(buf, dict.size(), 0x80, 0xde, 0xdf)
			for key: Variant in dict:
				problem = _encode_into(buf, key, depth + 1)
				if problem.is_empty():
					problem = _encode_into(buf, dict[key], depth + 1)
				if not problem.is_empty():
					break
		TYPE_OBJECT:
			problem = _encode_object(buf, value)
		_:
			problem = "cannot encode a value of type %s" % type_string(typeof(value))
	return problem


static func _encode_object(buf: StreamPeerBuffer, value: Object) -> String:
	if value is Float32:
		buf.put_u8(0xca)
		buf.put_float((value as Float32).value)
		return ""
	if value is Ext:
		var ext: Ext = value
		var n: int = ext.data.size()
		var fixed: Dictionary = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
		if fixed.has(n):
			buf.put_u8(fixed[n])
		elif n <= 0xff:
			buf.put_u8(0xc7)
			buf.put_u8(n)
		elif n <= 0xffff:
			buf.put_u8(0xc8)
			buf.put_u16(n)
		else:
			buf.put_u8(0xc9)
			buf.put_u32(n)
		buf.put_8(ext.type)
		buf.put_data(ext.data)
		return ""
	return "cannot encode object %s" % str(value)


static func _encode_int(buf: StreamPeerBuffer, v: int) -> void:
	if v >= 0:
		if v <= 0x7f:
			buf.put_u8(v)
		elif v <= 0xff:
			buf.put_u8(0xcc)
			buf.put_u8(v)
		elif v <= 0xffff:
			buf.put_u8(0xcd)
			buf.put_u16(v)
		elif v <= 0xffffffff:
			buf.put_u8(0xce)
			buf.put_u32(v)
		else:
			buf.put_u8(0xcf)
			buf.put_64(v)
	elif v >= -32:
		buf.put_8(v)
	elif v >= -128:
		buf.put_u8(0xd0)
		buf.put_8(v)
	elif v >= -32768:
		buf.put_u8(0xd1)
		buf.put_16(v)
	elif v >= -2147483648:
		buf.put_u8(0xd2)
		buf.put_32(v)
	else:
		buf.put_u8(0xd3)
		buf.put_64(v)


static func _encode_str(buf: StreamPeerBuffer, s: String) -> void:
	var bytes: PackedByteArray = s.to_utf8_buffer()
	var n: int = bytes.size()
	if n <= 31:
		buf.put_u8(0xa0 | n)
	elif n <= 0xff:
		buf.put_u8(0xd9)
		buf.put_u8(n)
	elif n <= 0xffff:
		buf.put_u8(0xda)
		buf.put_u16(n)
	else:
		buf.put_u8(0xdb)
		buf.put_u32(n)
	buf.put_data(bytes)


static func _encode_bin(buf: StreamPeerBuffer, bytes: PackedByteArray) -> void:
	var n: int = bytes.size()
	if n <= 0xff:
		buf.put_u8(0xc4)
		buf.put_u8(n)
	elif n <= 0xffff:
		buf.put_u8(0xc5)
		buf.put_u16(n)
	else:
		buf.put_u8(0xc6)
		buf.put_u32(n)
	buf.put_data(bytes)


## Writes an array or map header: fix form below 16 items, then 16-bit, then 32-bit count.
static func _put_head(buf: StreamPeerBuffer, n: int, fix: int, b16: int, b32: int) -> void:
	if n < 16:
		buf.put_u8(fix | n)
	elif n <= 0xffff:
		buf.put_u8(b16)
		buf.put_u16(n)
	else:
		buf.put_u8(b32)
		buf.put_u32(n)


static func _read_value(r: _Reader, depth: int) -> Variant:
	if depth > MAX_DEPTH:
		r.fail("nesting deeper than %d levels" % MAX_DEPTH)
		return null
	if r.remaining() < 1:
		r.fail("unexpected end of data")
		return null
	var b: int = r.data[r.pos]
	r.pos += 1
	var out: Variant = null
	if b <= 0x7f:
		out = b
	elif b >= 0xe0:
		out = b - 256
	elif b <= 0x8f:
		out = _read_map(r, b & 0x0f, depth)
	elif b <= 0x9f:
		out = _read_array(r, b & 0x0f, depth)
	elif b <= 0xbf:
		out = _read_str(r, b & 0x1f)
	else:
		out = _read_tagged(r, b, depth)
	return out


## Everything in 0xc0..0xdf: the forms with a type byte followed by a length or payload.
static func _read_tagged(r: _Reader, b: int, depth: int) -> Variant:
	var out: Variant = null
	match b:
		0xc0:
			out = null
		0xc2:
			out = false
		0xc3:
			out = true
		0xc4, 0xc5, 0xc6:
			out = _read_bytes(r, _read_uint(r, 1 << (b - 0xc4)))
		0xc7, 0xc8, 0xc9:
			out = _read_ext(r, _read_uint(r, 1 << (b - 0xc7)))
		0xca:
			out = _read_float(r, 4)
		0xcb:
			out = _read_float(r, 8)
		0xcc, 0xcd, 0xce:
			out = _read_uint(r, 1 << (b - 0xcc))
		0xcf:
			out = _read_uint(r, 8)
			if r.error.is_empty() and out < 0:
				r.pos -= 8
				r.fail("uint64 value does not fit a signed 64-bit int")
		0xd0, 0xd1, 0xd2, 0xd3:
			out = _read_int(r, 1 << (b - 0xd0))
		0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
			out = _read_ext(r, 1 << (b - 0xd4))
		0xd9, 0xda, 0xdb:
			out = _read_str(r, _read_uint(r, 1 << (b - 0xd9)))
		0xdc, 0xdd:
			out = _read_array(r, _read_uint(r, 2 << (b - 0xdc)), depth)
		0xde, 0xdf:
			out = _read_map(r, _read_uint(r, 2 << (b - 0xde)), depth)
		_:
			r.pos -= 1
			r.fail("reserved type byte 0x%02x" % b)
	return out


## Big-endian unsigned integer of [param n] bytes (8 bytes wrap into the sign bit).
static func _read_uint(r: _Reader, n: int) -> int:
	if not r.error.is_empty():
		return 0
	if r.remaining() < n:
		r.fail("truncated: need %d bytes, %d left" % [n, r.remaining()])
		return 0
	var v: int = 0
	for i: int in n:
		v = (v << 8) | r.data[r.pos + i]
	r.pos += n
	return v


static func _read_int(r: _Reader, n: int) -> int:
	var v: int = _read_uint(r, n)
	if n < 8 and v >= (1 << (8 * n - 1)):
		v -= 1 << (8 * n)
	return v


static func _read_float(r: _Reader, n: int) -> float:
	if r.remaining() < n:
		r.fail("truncated float: need %d bytes, %d left" % [n, r.remaining()])
		return 0.0
	var raw: PackedByteArray = r.data.slice(r.pos, r.pos + n)
	r.pos += n
	raw.reverse()  # Wire floats are big-endian; decode_* reads little-endian.
	return raw.decode_float(0) if n == 4 else raw.decode_double(0)


static func _read_bytes(r: _Reader, n: int) -> PackedByteArray:
	if not r.error.is_empty():
		return PackedByteArray()
	if n > r.remaining():
		r.fail("length %d runs past the end (%d bytes left)" % [n, r.remaining()])
		return PackedByteArray()
	var out: PackedByteArray = r.data.slice(r.pos, r.pos + n)
	r.pos += n
	return out


static func _read_str(r: _Reader, n: int) -> String:
	var start: int = r.pos
	var bytes: PackedByteArray = _read_bytes(r, n)
	if not r.error.is_empty():
		return ""
	if not is_valid_utf8(bytes):
		r.pos = start
		r.fail("str is not valid UTF-8")
		return ""
	return bytes.get_string_from_utf8()


static func _read_ext(r: _Reader, n: int) -> Variant:
	if not r.error.is_empty():
		return null
	if n + 1 > r.remaining():
		r.fail("ext length %d runs past the end (%d bytes left)" % [n, r.remaining()])
		return null
	var type: int = _read_int(r, 1)
	return Ext.new(type, _read_bytes(r, n))


static func _read_array(r: _Reader, n: int, depth: int) -> Variant:
	if not r.error.is_empty():
		return null
	# Every item takes at least one byte: refuse counts the input cannot hold before allocating.
	if n > r.remaining():
		r.fail("array of %d items but only %d bytes left" % [n, r.remaining()])
		return null
	var out: Array = []
	out.resize(n)
	for i: int in n:
		out[i] = _read_value(r, depth + 1)
		if not r.error.is_empty():
			return null
	return out


static func _read_map(r: _Reader, n: int, depth: int) -> Variant:
	if not r.error.is_empty():
		return null
	if n * 2 > r.remaining():
		r.fail("map of %d pairs but only %d bytes left" % [n, r.remaining()])
		return null
	var out: Dictionary = {}
	for i: int in n:
		var key: Variant = _read_value(r, depth + 1)
		var value: Variant = _read_value(r, depth + 1)
		if not r.error.is_empty():
			return null
		if out.has(key):
			r.fail("duplicate map key %s" % str(key))
			return null
		out[key] = value
	return out


## Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF), done by hand
## because Godot's own parser replaces bad sequences and prints errors instead of failing.
static func is_valid_utf8(bytes: PackedByteArray) -> bool:
	var i: int = 0
	var n: int = bytes.size()
	while i < n:
		var c: int = bytes[i]
		if c < 0x80:
			i += 1
			continue
		var need: int = 0
		var lo: int = 0x80
		var hi: int = 0xbf
		if c >= 0xc2 and c <= 0xdf:
			need = 1
		elif c >= 0xe0 and c <= 0xef:
			need = 2
			lo = 0xa0 if c == 0xe0 else 0x80
			hi = 0x9f if c == 0xed else 0xbf
		elif c >= 0xf0 and c <= 0xf4:
			need = 3
			lo = 0x90 if c == 0xf0 else 0x80
			hi = 0x8f if c == 0xf4 else 0xbf
		else:
			return false
		if i + need >= n:
			return false
		var second: int = bytes[i + 1]
		if second < lo or second > hi:
			return false
		for k: int in range(2, need + 1):
			if bytes[i + k] < 0x80 or bytes[i + k] > 0xbf:
				return false
		i += need + 1
	return true
