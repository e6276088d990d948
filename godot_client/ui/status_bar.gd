class_name StatusBar
extends PanelContainer
## The top bar: connection state, model, data set, run, the newest backend event (warnings in
## amber), how many clients the backend has and whether the model is training, all from the
## newest status, so it follows what any client changes. Its endpoint button asks for the
## connect dialog. The Studio's own Log lines (failed requests, reconnects) show in the notice
## bar instead.

## The endpoint button was pressed.
signal connect_requested

## An event stays bright this long, then dims (a warning) or goes (the rest).
const EVENT_FRESH_S: float = 12.0

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
	_connect_button.pressed.connect(connect_requested.emit)
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
	_connect_button.tooltip_text = (
		"Control %s, streams %s. Press to connect elsewhere."
		% [StudioSession.control_endpoint(), StudioSession.stream_endpoint()]
	)


func _on_endpoints_changed(_control: String, _stream: String) -> void:
	_on_connection_changed(StudioSession.connected)


func _on_status_received(status: Dictionary) -> void:
	var parts: PackedStringArray = []
	var model: Dictionary = StudioSession.model_info()
	if model.has("name"):
		parts.append("model %s" % str(model["name"]))
	var dataset: Variant = status.get("dataset")
	if dataset is Dictionary:
		parts.append("data: %s (%s)" % [dataset.get("name", "?"), str(dataset.get("n", "?"))])
	if status.has("latent_dim"):
		parts.append("latent dim %s" % str(status["latent_dim"]))
	if status.has("run"):
		parts.append("run %s" % str(status["run"]))
	var summary: String = "   ·   ".join(parts)
	_run.text = summary
	_run.tooltip_text = summary
	var state: String = str(status.get("state", ""))
	_state.text = state.to_upper()
	var color: Color = StudioPalette.OK if state == "training" else StudioPalette.WARN
	_state.add_theme_color_override("font_color", color)
	var clients: Variant = status.get("clients")
	_clients.text = describe_clients(clients) if typeof(clients) in [TYPE_INT, TYPE_FLOAT] else ""
	_clients.tooltip_text = "Clients connected to this backend (this Studio counts as one)"


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
	_event.tooltip_text = "%s  %s" % [str(entry.get("time", "")), line]
	_event.add_theme_color_override("font_color", EventLog.level_color(level))
	_event.visible = true
	_event_timer.start()


## An aged warning dims and stays; an aged info event goes, so the run summary has its room
## back (the Log keeps every event).
func _on_event_aged() -> void:
	if _event.get_theme_color("font_color") == EventLog.level_color("info"):
		_event.visible = false
		return
	var color: Color = _event.get_theme_color("font_color")
	_event.add_theme_color_override("font_color", color.lerp(StudioPalette.TEXT_DIM, 0.6))
