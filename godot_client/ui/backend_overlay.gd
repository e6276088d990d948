class_name BackendOverlay
extends ColorRect
## Covers the Studio while the backend is absent and says how to start it; the client keeps
## retrying on its own, so this goes away by itself when the backend appears. Its button asks
## for the connect dialog, to try other endpoints or a token.

## The "Change endpoints…" button was pressed.
signal connect_requested

@onready var _title: Label = $Center/Panel/Rows/Title
@onready var _hint: Label = $Center/Panel/Rows/Hint
@onready var _detail: Label = $Center/Panel/Rows/Detail
@onready var _connect_button: Button = $Center/Panel/Rows/ConnectButton


func _ready() -> void:
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.endpoints_changed.connect(_on_endpoints_changed)
	StudioSession.connection_refused.connect(_on_connection_refused)
	_connect_button.pressed.connect(connect_requested.emit)
	_on_connection_changed(StudioSession.connected)
	var timer := Timer.new()
	timer.wait_time = 0.5
	timer.autostart = true
	timer.timeout.connect(_refresh_detail)
	add_child(timer)


func _on_connection_changed(connected: bool) -> void:
	visible = not connected
	_title.text = "Waiting for the VAE Studio backend at %s" % StudioSession.control_endpoint()
	_hint.text = (
		(
			"Start it with  make run  (or  vaestudio serve --control %s).  This screen connects"
			% StudioSession.control_endpoint()
		)
		+ " by itself as soon as it is up."
	)
	_refresh_detail()


func _on_endpoints_changed(_control: String, _stream: String) -> void:
	_on_connection_changed(StudioSession.connected)


func _on_connection_refused(_reason: String) -> void:
	_refresh_detail()


func _refresh_detail() -> void:
	if not visible:
		return
	# The sentence names the control endpoint; the probe tells it whether requests get answers.
	StudioSession.probe_control()
	_detail.text = StudioSession.connection_problem()
