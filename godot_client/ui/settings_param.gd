class_name SettingsParam
extends RefCounted
## One setting's descriptor ("Param" of `model.list` / `data.list`: {type, default, help, min,
## max, choices, unit, live}) turned into text and back: what a field shows for a value, what it
## accepts, and the sentence that says so when typed text is refused. Pure functions, no nodes.

## Types that a field edits as text (the rest: bool is a check box, choice an option button,
## layers the layer editor).
const TEXT_TYPES: PackedStringArray = [
	"int", "float", "int_list", "label_list", "size", "string", "path"
]


## A descriptor for a bare default (what an older backend lists instead of a Param).
static func from_default(value: Variant) -> Dictionary:
	var kinds: Dictionary = {TYPE_BOOL: "bool", TYPE_INT: "int", TYPE_FLOAT: "float"}
	var kind: String = kinds.get(typeof(value), "int_list" if value is Array else "string")
	return {"type": kind, "default": value}


## The descriptor's type ("" when it has none).
static func type_of(param: Dictionary) -> String:
	return str(param.get("type", ""))


## True when an empty field stands for null: the descriptor has no default (an optional
## option such as `binarize`) or says so, and is not marked `required`.
static func nullable(param: Dictionary) -> bool:
	if param.get("required", false) == true:
		return false
	return param.get("default") == null or param.get("nullable", false) == true


## `text` as the value this descriptor accepts: {"value": v}, or {"error": sentence} naming
## what is accepted.
static func parse(param: Dictionary, text: String) -> Dictionary:
	var t: String = text.strip_edges()
	var kind: String = type_of(param)
	if t.is_empty() and kind in ["int", "float", "size", "string", "path", "int_list"]:
		if nullable(param):
			return {"value": null}
		return {"error": "needs a value: %s." % accepted(param)}
	match kind:
		"int":
			return _parse_int(param, t)
		"float":
			return _parse_float(param, t)
		"int_list", "label_list":
			return _parse_list(param, t)
		"size":
			return _parse_size(param, t)
		"bool":
			if t.to_lower() in ["true", "false"]:
				return {"value": t.to_lower() == "true"}
			return {"error": "must be true or false."}
		"choice":
			for choice: Variant in choices_of(param):
				if choice_text(choice) == t or (choice != null and format(param, choice) == t):
					return {"value": choice}
			return {"error": "must be %s." % accepted(param)}
		"string":
			# `label_column` takes a column index as well as a name: digits go as an int.
			return {"value": t.to_int() if t.is_valid_int() else t}
	return {"value": t}


## "64" for a flat shape, "32×14×14" for channels, height, width.
static func shape_text(shape: Variant) -> String:
	if not shape is Array:
		return "?"
	var parts: PackedStringArray = []
	for n: Variant in shape:
		parts.append(str(int(n)) if typeof(n) in [TYPE_INT, TYPE_FLOAT] else str(n))
	return "×".join(parts)


## The text a field shows for `value` (the inverse of [method parse]).
static func format(param: Dictionary, value: Variant) -> String:
	if value == null:
		return ""
	match typeof(value):
		TYPE_FLOAT:
			return format_number(value)
		TYPE_ARRAY, TYPE_PACKED_INT32_ARRAY, TYPE_PACKED_INT64_ARRAY:
			var parts: PackedStringArray = []
			for item: Variant in value:
				parts.append(format(param, item))
			return ", ".join(parts)
		TYPE_BOOL:
			return "true" if value else "false"
	return str(value)


## A float as a person writes it: 0.001, 2.5, 1e-07, 1e+06.
static func format_number(value: float) -> String:
	if value != 0.0 and (absf(value) < 1e-4 or absf(value) >= 1e6):
		return String.num_scientific(value)
	if value == roundf(value):
		return "%.1f" % value
	return str(value)


## What the descriptor accepts, as a phrase: "an integer from 1 to 4096".
static func accepted(param: Dictionary) -> String:
	var kind: String = type_of(param)
	var phrase: String = ""
	match kind:
		"int":
			phrase = "an integer%s" % _range_phrase(param)
		"float":
			phrase = "a number%s" % _range_phrase(param)
		"int_list":
			phrase = "a list of %s%s, e.g. 256, 128" % [_items_phrase(param), _range_phrase(param)]
		"label_list":
			phrase = "class ids separated by commas, e.g. 0, 3 (empty: none)"
		"size":
			phrase = "empty (as stored), one side (28) or height, width (28, 32)"
		"bool":
			phrase = "true or false"
		"choice":
			var names: PackedStringArray = []
			for choice: Variant in choices_of(param):
				names.append(choice_text(choice))
			phrase = "one of " + ", ".join(names)
		"path":
			phrase = "a file or folder under the server's --data-dir (Browse… lists them)"
		_:
			phrase = "text"
	if nullable(param) and kind in ["int", "float", "string", "int_list", "path"]:
		phrase += " (empty: none)"
	return phrase


## The tooltip of a field: its help, what it accepts, its default and unit.
static func describe(key: String, param: Dictionary) -> String:
	var lines: PackedStringArray = [key]
	var help: String = str(param.get("help", "")).strip_edges()
	if not help.is_empty():
		lines.append(help)
	lines.append("Accepts %s." % accepted(param))
	if param.has("default") and type_of(param) != "layers":
		var shown: String = format(param, param["default"])
		lines.append("Default: %s." % ("none" if shown.is_empty() else shown))
	if param.has("unit"):
		lines.append("Unit: %s." % str(param["unit"]))
	if param.get("live", false) == true:
		lines.append("Live: applied to the running training at once.")
	return "\n".join(lines)


## The choices an option button offers: the descriptor's, with null ("(empty)") first when it is
## nullable.
static func choices_of(param: Dictionary) -> Array:
	var choices: Variant = param.get("choices")
	var out: Array = (choices as Array).duplicate() if choices is Array else []
	if nullable(param) and not out.has(null):
		out.push_front(null)
	return out


## How an option button shows a choice: "(empty)" for null, "tab" and "space" for those
## delimiters.
static func choice_text(choice: Variant) -> String:
	match typeof(choice):
		TYPE_NIL:
			return "(empty)"
		TYPE_BOOL:
			return "true" if choice else "false"
		TYPE_STRING:
			return {"\t": "tab", " ": "space"}.get(choice, choice)
	return str(choice)


## True when `a` and `b` are the same setting value (1 and 1.0 count as equal; lists item by
## item), so a status that repeats the shown value changes nothing.
static func same(a: Variant, b: Variant) -> bool:
	var numbers: Array = [TYPE_INT, TYPE_FLOAT]
	if typeof(a) in numbers and typeof(b) in numbers:
		return is_equal_approx(float(a), float(b))
	if (a is Array or a is PackedInt32Array) and (b is Array or b is PackedInt32Array):
		if a.size() != b.size():
			return false
		for i: int in a.size():
			if not same(a[i], b[i]):
				return false
		return true
	if a is Dictionary and b is Dictionary:
		if a.size() != b.size():
			return false
		for key: Variant in a:
			if not b.has(key) or not same(a[key], b[key]):
				return false
		return true
	return typeof(a) == typeof(b) and a == b


static func _parse_int(param: Dictionary, t: String) -> Dictionary:
	var number: float = NAN
	if t.is_valid_int():
		number = float(t.to_int())
	elif t.is_valid_float() and t.to_float() == roundf(t.to_float()):
		number = t.to_float()
	if is_nan(number) or not is_finite(number):
		return {"error": 'must be %s, not "%s".' % [accepted(param), t]}
	var problem: String = _out_of_range(param, number)
	if not problem.is_empty():
		return {"error": problem}
	return {"value": int(number)}


static func _parse_float(param: Dictionary, t: String) -> Dictionary:
	if not t.is_valid_float() or not is_finite(t.to_float()):
		return {"error": 'must be %s, not "%s".' % [accepted(param), t]}
	var number: float = t.to_float()
	var problem: String = _out_of_range(param, number)
	var ends: Array = [param.get("min"), param.get("max")]
	if problem.is_empty() and param.get("exclusive", false) == true and ends.has(number):
		problem = "%s is out of range: must be %s." % [_show(number), accepted(param)]
	if not problem.is_empty():
		return {"error": problem}
	return {"value": number}


static func _parse_list(param: Dictionary, t: String) -> Dictionary:
	var values: Array = []
	var element: Dictionary = {"type": "int", "min": param.get("min"), "max": param.get("max")}
	if type_of(param) == "label_list":
		element = {"type": "int", "min": 0}
	var inner: String = t.trim_prefix("[").trim_suffix("]").strip_edges()
	for part: String in inner.replace(";", ",").replace(" ", ",").split(",", false):
		var parsed: Dictionary = _parse_int(element, part)
		if parsed.has("error"):
			return {"error": 'must be %s: "%s" %s' % [accepted(param), part, parsed["error"]]}
		values.append(parsed["value"])
	if type_of(param) == "int_list":
		var fewest: int = int(param.get("min_items", 1))
		var most: Variant = param.get("max_items")
		var too_many: bool = typeof(most) in [TYPE_INT, TYPE_FLOAT] and values.size() > int(most)
		if values.size() < fewest or too_many:
			return {"error": "has %d value(s): must be %s." % [values.size(), accepted(param)]}
	return {"value": values}


static func _parse_size(param: Dictionary, t: String) -> Dictionary:
	var side: Dictionary = {"type": "int", "min": param.get("min", 1), "max": param.get("max")}
	var parts: PackedStringArray = t.to_lower().replace("x", ",").replace("×", ",").split(
		",", false
	)
	var sides: Array = []
	for part: String in parts:
		var parsed: Dictionary = _parse_int(side, part)
		if parsed.has("error"):
			return {"error": "must be %s." % accepted(param)}
		sides.append(parsed["value"])
	if sides.size() == 1:
		return {"value": sides[0]}
	if sides.size() == 2:
		return {"value": sides}
	return {"error": "must be %s." % accepted(param)}


## "must be at least 1" / "must be at most 10" for a number outside the descriptor's bounds.
static func _out_of_range(param: Dictionary, number: float) -> String:
	var lo: Variant = param.get("min")
	var hi: Variant = param.get("max")
	var below: bool = typeof(lo) in [TYPE_INT, TYPE_FLOAT] and number < float(lo)
	var above: bool = typeof(hi) in [TYPE_INT, TYPE_FLOAT] and number > float(hi)
	if below or above:
		return "%s is out of range: must be %s." % [_show(number), accepted(param)]
	return ""


## "integers", "1 to 3 integers", "at least 2 integers".
static func _items_phrase(param: Dictionary) -> String:
	var fewest: int = int(param.get("min_items", 1))
	var most: Variant = param.get("max_items")
	if typeof(most) in [TYPE_INT, TYPE_FLOAT]:
		return "%d to %d integers" % [fewest, int(most)]
	return "integers" if fewest <= 1 else "at least %d integers" % fewest


static func _range_phrase(param: Dictionary) -> String:
	var lo: Variant = param.get("min")
	var hi: Variant = param.get("max")
	var has_lo: bool = typeof(lo) in [TYPE_INT, TYPE_FLOAT]
	var has_hi: bool = typeof(hi) in [TYPE_INT, TYPE_FLOAT]
	if has_lo and has_hi and param.get("exclusive", false) == true:
		return " between %s and %s (exclusive)" % [_show(lo), _show(hi)]
	if has_lo and has_hi:
		return " from %s to %s" % [_show(lo), _show(hi)]
	if has_lo:
		return " of at least %s" % _show(lo)
	if has_hi:
		return " of at most %s" % _show(hi)
	return ""


## A bound or typed number without a needless ".0" (1e-07, 4096, 0.5).
static func _show(number: Variant) -> String:
	var x: float = float(number)
	if x == roundf(x) and absf(x) < 1e15:
		return str(int(x)) if absf(x) < 1e6 else String.num_scientific(x)
	return format_number(x)
