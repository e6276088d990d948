extends RefCounted
## Base of the GDScript unit tests: assertion helpers that record failures instead of stopping,
## because a GDScript runtime error does not stop the caller or set the exit code.

var failures: PackedStringArray = []
var checks: int = 0


func check(condition: bool, what: String) -> bool:
	checks += 1
	if not condition:
		failures.append(what)
	return condition


## Strict equality: types must match too (1 and 1.0 differ), containers compare item by item.
func check_eq(actual: Variant, expected: Variant, what: String) -> bool:
	var ok: bool = deep_equal(actual, expected)
	return check(ok, "%s: got %s, expected %s" % [what, _show(actual), _show(expected)])


static func deep_equal(a: Variant, b: Variant) -> bool:
	if typeof(a) != typeof(b):
		return false
	var same: bool = false
	match typeof(a):
		TYPE_ARRAY:
			same = _arrays_equal(a, b)
		TYPE_DICTIONARY:
			same = _dicts_equal(a, b)
		TYPE_OBJECT:
			same = _objects_equal(a, b)
		TYPE_FLOAT:
			same = a == b or (is_nan(a) and is_nan(b))
		_:
			same = a == b
	return same


static func _arrays_equal(a: Array, b: Array) -> bool:
	if a.size() != b.size():
		return false
	for i: int in a.size():
		if not deep_equal(a[i], b[i]):
			return false
	return true


static func _dicts_equal(a: Dictionary, b: Dictionary) -> bool:
	if a.size() != b.size():
		return false
	for key: Variant in a:
		# Find the key in b with the same type as well as value.
		var found: bool = false
		for other: Variant in b:
			if deep_equal(key, other):
				found = deep_equal(a[key], b[other])
				break
		if not found:
			return false
	return true


static func _objects_equal(a: Object, b: Object) -> bool:
	if a is VaeStudioMsgpack.Float32 and b is VaeStudioMsgpack.Float32:
		return (a as VaeStudioMsgpack.Float32).value == (b as VaeStudioMsgpack.Float32).value
	if a is VaeStudioMsgpack.Ext and b is VaeStudioMsgpack.Ext:
		var ea: VaeStudioMsgpack.Ext = a
		var eb: VaeStudioMsgpack.Ext = b
		return ea.type == eb.type and ea.data == eb.data
	return a == b


static func _show(v: Variant) -> String:
	if v is VaeStudioMsgpack.Ext:
		var ext: VaeStudioMsgpack.Ext = v
		return "Ext(%d, %s)" % [ext.type, ext.data.hex_encode()]
	if v is VaeStudioMsgpack.Float32:
		return "Float32(%s)" % str((v as VaeStudioMsgpack.Float32).value)
	if v is PackedByteArray:
		return "bin(%s)" % (v as PackedByteArray).hex_encode()
	return "%s:%s" % [type_string(typeof(v)), var_to_str(v).replace("\n", "")]


## Reads a JSON file of protocol/ (outside the Godot project, so through an absolute path).
static func load_vectors(name: String) -> Dictionary:
	var path: String = ProjectSettings.globalize_path("res://").path_join(
		"../protocol/vectors/" + name
	)
	var text: String = FileAccess.get_file_as_string(path)
	var parsed: Variant = JSON.parse_string(text)
	if parsed is Dictionary:
		return parsed
	push_error("cannot read vectors from %s" % path)
	return {}


## The decoded body of the first message vector of protocol/vectors/messages.json whose
## description starts with `starts` ({} and an error when none does).
static func message_vector(starts: String) -> Dictionary:
	for case: Dictionary in load_vectors("messages.json").get("messages", []):
		if str(case["description"]).begins_with(starts):
			return VaeStudioMsgpack.decode(str(case["hex"]).hex_decode())["value"]
	push_error("no vector '%s'" % starts)
	return {}


## Turns the tagged JSON notation of scripts/make_vectors.py into Godot values. JSON numbers are
## integers; {"$f32": x} becomes a plain float, or a Float32 when [param for_encoding] is set.
static func untag(v: Variant, for_encoding: bool = false) -> Variant:
	var out: Variant = v
	if v is float:
		out = int(v)
	elif v is Array:
		var items: Array = []
		for item: Variant in v:
			items.append(untag(item, for_encoding))
		out = items
	elif v is Dictionary:
		out = _untag_dict(v, for_encoding)
	return out


static func _untag_dict(d: Dictionary, for_encoding: bool) -> Variant:
	if d.size() == 1:
		var key: String = str(d.keys()[0])
		var inner: Variant = d[key]
		match key:
			"$f64":
				return float(inner)
			"$f32":
				return VaeStudioMsgpack.Float32.new(inner) if for_encoding else float(inner)
			"$bin":
				return str(inner).hex_decode()
			"$int":
				return str(inner).to_int()
			"$ext":
				return VaeStudioMsgpack.Ext.new(int(inner[0]), str(inner[1]).hex_decode())
			"$map":
				var m: Dictionary = {}
				for pair: Array in inner:
					m[untag(pair[0], for_encoding)] = untag(pair[1], for_encoding)
				return m
	var out: Dictionary = {}
	for key: Variant in d:
		out[key] = untag(d[key], for_encoding)
	return out
