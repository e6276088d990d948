class_name StatusBar
extends PanelContainer
## The top bar: connection state, model, data set, run, the newest backend event (warnings in
## amber), how many clients the backend has and whether the model is training, all from the
## newest status, so it follows what any client changes. Its endpoint button asks for the
## connect dialog. The Studio's own Log lines (failed requests, reconnects) show in the notice
## bar instead. An event about one run goes when another run comes live or the link is lost.

## The endpoint button was pressed.
signal connect_requested

## An event stays bright this long, then dims (a warning) or goes (the rest).
const EVENT_FRESH_S: float = 12.0

## The run the event on show is about.
var _event_run: String = ""
## The run summary in full (the label shows as much of it as fits; its tooltip all of it).
var _summary: String = ""

@onready var _dot: Label = $Row/Dot
@onready var _connection: Label = $Row/Connection
@onready var _connect_button: Button = $Row/ConnectButton
@onready var _run: Label = $Row/Run
@onready var _event: Label = $Row/Event
@onready var _clients: Label = $Row/Clients
@onready var _state: Label = $Row/State
@onready var _event_timer: Timer = $EventTimer


func _ready() -> void:
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.log_received.connect(_on_log_received)
	StudioSession.endpoints_changed.connect(_on_endpoints_changed)
	StudioSession.run_changed.connect(_on_run_changed)
	_connect_button.pressed.connect(connect_requested.emit)
	_run.resized.connect(_fit_summary)
	_event_timer.wait_time = EVENT_FRESH_S
	_event_timer.timeout.connect(_on_event_aged)
	_on_connection_changed(StudioSession.connected)


func _on_connection_changed(connected: bool) -> void:
	var color: Color = StudioPalette.OK if connected else StudioPalette.WARN
	_dot.add_theme_color_override("font_color", color)
	if connected:
		_connection.text = "connected to %s" % StudioSession.control_endpoint()
	else:
		_connection.text = "waiting for %s" % StudioSession.control_endpoint()
		_state.text = ""
		_clients.text = ""
		_event.visible = false
	_connect_button.tooltip_text = (
		"Control %s, streams %s. Press to connect elsewhere."
		% [StudioSession.control_endpoint(), StudioSession.stream_endpoint()]
	)


func _on_endpoints_changed(_control: String, _stream: String) -> void:
	_on_connection_changed(StudioSession.connected)


func _on_status_received(status: Dictionary) -> void:
	var parts: PackedStringArray = []
	# The run first: where the bar is short, the rest gives way to it (see _fit_summary).
	if status.has("run"):
		parts.append("run %s" % str(status["run"]))
	var model: Dictionary = StudioSession.model_info()
	if model.has("name"):
		parts.append("model %s" % str(model["name"]))
	var dataset: Variant = status.get("dataset")
	if dataset is Dictionary:
		parts.append("data: %s (%s)" % [dataset.get("name", "?"), str(dataset.get("n", "?"))])
	if status.has("latent_dim"):
		parts.append("latent dim %s" % str(status["latent_dim"]))
	_summary = "   ·   ".join(parts)
	_run.tooltip_text = _summary
	_fit_summary()
	var state: String = str(status.get("state", ""))
	_state.text = state.to_upper()
	var color: Color = StudioPalette.OK if state == "training" else StudioPalette.WARN
	_state.add_theme_color_override("font_color", color)
	var clients: Variant = status.get("clients")
	_clients.text = describe_clients(clients) if typeof(clients) in [TYPE_INT, TYPE_FLOAT] else ""
	_clients.tooltip_text = "Clients connected to this backend (this Studio counts as one)"


## Shows as much of the summary as the label's width holds: all of it, or the run's name and
## the rest cut short ("…"), or, where not even the name fits, the name with its middle left
## out, so its start (model, data) and its end (date and tag) both stay readable.
func _fit_summary() -> void:
	var font: Font = _run.get_theme_font("font")
	var font_size: int = _run.get_theme_font_size("font_size")
	var first: String = _summary.get_slice("   ·   ", 0)
	var room: float = _run.size.x
	if font.get_string_size(first, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x <= room:
		_run.text = _summary  # the label's own ellipsis shortens what follows the name
		return
	_run.text = elide_middle(first, font, font_size, room)


## `text` with characters from its middle replaced by "…" until it fits `width` pixels.
static func elide_middle(text: String, font: Font, font_size: int, width: float) -> String:
	var keep: int = text.length()
	var shown: String = text
	while (
		keep > 2 and font.get_string_size(shown, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x > width
	):
		keep -= 1
		var head: int = ceili(keep / 2.0)
		shown = text.left(head) + "…" + text.right(keep - head)
	return shown


## How many clients the backend has, in words: "only you" (this Studio is one of them) or
## "3 clients connected".
static func describe_clients(count: int) -> String:
	return "only you" if count <= 1 else "%d clients connected" % count


func _on_log_received(entry: Dictionary) -> void:
	if entry.get("origin") == "studio":
		return
	var level: String = str(entry.get("level", "info"))
	var mark: String = "⚠ " if level == "warning" else ("✖ " if level == "error" else "")
	var line: String = mark + EventLog.describe(entry)
	_event.text = line
	_event_run = str(entry.get("run", ""))
	_event.tooltip_text = "%s  %s" % [str(entry.get("time", "")), line]
	_event.add_theme_color_override("font_color", EventLog.level_color(level))
	_event.visible = true
	_event_timer.start()


## An event about another run is not news about the live one.
func _on_run_changed(run: String) -> void:
	if _event_run != run:
		_event.visible = false


## An aged warning dims and stays; an aged info event goes, so the run summary has its room
## back (the Log keeps every event).
func _on_event_aged() -> void:
	if _event.get_theme_color("font_color") == EventLog.level_color("info"):
		_event.visible = false
		return
	var color: Color = _event.get_theme_color("font_color")
	_event.add_theme_color_override("font_color", color.lerp(StudioPalette.TEXT_DIM, 0.6))
