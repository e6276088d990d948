class_name SettingsErrors
extends RefCounted
## Finds what a server error sentence is about, so the Settings page shows it next to that field
## or layer: the registry names layers ("decoder layer 3 (linear) needs flat features …"), keys
## quoted ("option 'resize' must be …", "parameter 'alpha' must be …") or leading ("lr must be a
## number from …", "arch 'conv' needs image data …").


## {"list": "encoder"|"decoder", "index": i} for a sentence about one layer of a custom list,
## index -1 for one about the whole list ("the custom decoder ends with shape …"), {} otherwise.
static func layer_named(message: String) -> Dictionary:
	var found: RegExMatch = RegEx.create_from_string("\\b(encoder|decoder) layer (\\d+)\\b").search(
		message
	)
	if found != null:
		return {"list": found.get_string(1), "index": found.get_string(2).to_int()}
	found = RegEx.create_from_string("\\bcustom (encoder|decoder)\\b").search(message)
	if found != null:
		return {"list": found.get_string(1), "index": -1}
	found = RegEx.create_from_string("^'?(encoder|decoder)'? ").search(message)
	if found != null:
		return {"list": found.get_string(1), "index": -1}
	return {}


## The key of `keys` that `message` names: quoted anywhere ('key'), else leading a clause
## ("key must …", "key 'conv' needs …"); "" when it names none.
static func key_named(message: String, keys: PackedStringArray) -> String:
	var best: String = ""
	var best_at: int = message.length()
	for key: String in keys:
		var at: int = message.find("'%s'" % key)
		if at >= 0 and at < best_at:
			best = key
			best_at = at
	if not best.is_empty():
		return best
	for key: String in keys:
		var pattern: String = "(^|[\\s(])%s( '[^']*')? (must|needs|is|has|cannot)\\b" % key
		if RegEx.create_from_string(pattern).search(message) != null:
			return key
	return ""


## The key whose text value (3 characters or more, e.g. a file path) appears in `message`;
## "" when none does.
static func value_named(message: String, values: Dictionary) -> String:
	for key: Variant in values:
		var value: Variant = values[key]
		if value is String and (value as String).length() >= 3 and message.contains(value):
			return str(key)
	return ""


## The sentence of a failed request without its error code, for a line next to a field.
static func plain(request: VaeStudioRequest) -> String:
	var text: String = request.error_message().strip_edges()
	if text.is_empty():
		return StudioSession.describe_failure(request)
	if request.error_code() == "unknown_op":
		return StudioSession.describe_failure(request)
	return text
