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


## One line of text for an event, a plain sentence: the Studio's own lines as they are, the
## backend's from their message, its run events said in full ("Started a new run: vae-…."), and
## "(×3)" after a line the Studio wrote three times in a row.
static func describe(entry: Dictionary) -> String:
	var event: String = str(entry.get("event", "event"))
	var message: String = str(entry.get("message", "")).strip_edges()
	var repeat: int = int(entry.get("repeat", 1))
	var times: String = " (×%d)" % repeat if repeat > 1 else ""
	if entry.get("origin") != "studio":
		var run: String = str(entry.get("run", ""))
		match event:
			"new_run":
				message = "Started a new run: %s" % run if not run.is_empty() else message
			"loaded":
				if not run.is_empty():
					message = "Loaded run %s at step %d" % [run, int(entry.get("step", 0))]
			"reset":
				message = "Reset the model: " + message
	if message.is_empty():
		message = event.replace("_", " ")
	return _sentence(message) + times


## `text` with a capital first letter and a full stop at the end.
static func _sentence(text: String) -> String:
	var out: String = text.left(1).to_upper() + text.substr(1)
	return out if out.right(1) in [".", "!", "?", "…"] else out + "."


## The lines as the list shows them, newest first ("12:03:45  Studio  Reconnected to …").
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
