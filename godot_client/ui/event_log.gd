class_name EventLog
extends PanelContainer
## The backend's `log` stream, newest first: resets, saves, loads, exports, new runs, and the
## warnings that matter (a NaN loss recovered from, a failed step) highlighted; among them the
## Studio's own lines ([method StudioSession.note]), marked "Studio": every failed request, the
## backend going away and coming back, a different run after a restart.

@onready var _list: RichTextLabel = $Rows/List
@onready var _count: Label = $Rows/Header/Count


func _ready() -> void:
	StudioSession.log_received.connect(_on_log_received)
	_render()


## The colour of an event's level: warnings amber, errors red, the rest plain.
static func level_color(level: String) -> Color:
	match level:
		"warning":
			return StudioPalette.WARN
		"error":
			return StudioPalette.ERROR
	return StudioPalette.TEXT


## One line of text for an event: "nan_recovered — loss was NaN at step 812; lr halved", and
## "(×3)" after a line the Studio wrote three times in a row.
static func describe(entry: Dictionary) -> String:
	var event: String = str(entry.get("event", "event"))
	var message: String = str(entry.get("message", "")).strip_edges()
	var repeat: int = int(entry.get("repeat", 1))
	var times: String = " (×%d)" % repeat if repeat > 1 else ""
	if message.is_empty():
		return event + times
	# Messages often begin with their event's word ("saved run …"): say it once.
	if message.to_lower().begins_with(event.replace("_", " ")):
		return message + times
	return "%s — %s%s" % [event, message, times]


## The lines as the list shows them, newest first ("12:03:45  Studio  reconnected — …").
static func lines() -> PackedStringArray:
	var out := PackedStringArray()
	var entries: Array[Dictionary] = StudioSession.log_entries
	for i in range(entries.size() - 1, -1, -1):
		var entry: Dictionary = entries[i]
		var origin: String = "Studio  " if entry.get("origin") == "studio" else ""
		out.append("%s  %s%s" % [str(entry.get("time", "")), origin, describe(entry)])
	return out


func _on_log_received(_entry: Dictionary) -> void:
	_render()


func _render() -> void:
	var entries: Array[Dictionary] = StudioSession.log_entries
	var warnings: int = 0
	_list.clear()
	if entries.is_empty():
		_list.push_color(StudioPalette.TEXT_DIM)
		_list.add_text(
			(
				"No events yet. Resets, saves, loads, exports, NaN recoveries, failed requests and"
				+ " reconnects show here."
			)
		)
		_list.pop()
	for i in range(entries.size() - 1, -1, -1):
		var entry: Dictionary = entries[i]
		var level: String = str(entry.get("level", "info"))
		if level != "info":
			warnings += 1
		_list.push_color(StudioPalette.TEXT_DIM)
		_list.add_text("%s  " % str(entry.get("time", "")))
		if entry.get("origin") == "studio":
			_list.add_text("Studio  ")
		_list.pop()
		_list.push_color(level_color(level))
		if level != "info":
			_list.push_bold()
			_list.add_text("⚠ " if level == "warning" else "✖ ")
			_list.pop()
		_list.add_text(describe(entry))
		_list.pop()
		_list.newline()
	_count.text = "%d event(s) · %d warning(s)" % [entries.size(), warnings]
