class_name BackendOverlay
extends ColorRect
## Covers the Studio while the backend is absent and says how to start it on the endpoints this
## Studio tries; the client keeps retrying on its own, so this goes away by itself when the
## backend appears (after a loss, the session then puts back the run, view and history:
## [StudioConnection]). Its button asks for the connect dialog, to try other endpoints or a token.
## The scene's own words (backend_overlay.tscn) say the scripts failed to load: they show only
## when this script never runs (a fresh copy without its class list, a parse error), so a script
## error is never reported as a missing backend.

## The "Change endpoints…" button was pressed.
signal connect_requested

## Where `vaestudio serve` (and so `make run`) listens when given no endpoints.
const DEFAULT_CONTROL: String = "tcp://127.0.0.1:5555"
const DEFAULT_STREAM: String = "tcp://127.0.0.1:5556"

@onready var _title: Label = $Center/Panel/Rows/Title
@onready var _hint: Label = $Center/Panel/Rows/Hint
@onready var _detail: Label = $Center/Panel/Rows/Detail
@onready var _connect_button: Button = $Center/Panel/Rows/ConnectButton


func _ready() -> void:
	StudioSession.connection_changed.connect(_on_connection_changed)
	StudioSession.endpoints_changed.connect(_on_endpoints_changed)
	StudioSession.connection_refused.connect(_on_connection_refused)
	_connect_button.pressed.connect(connect_requested.emit)
	_connect_button.visible = true
	_on_connection_changed(StudioSession.connected)
	var timer := Timer.new()
	timer.wait_time = 0.5
	timer.autostart = true
	timer.timeout.connect(_refresh_detail)
	add_child(timer)


func _on_connection_changed(connected: bool) -> void:
	visible = not connected
	_show_headline(false)
	_refresh_detail()


## The headline says what to do: start a backend, or, once one refused the token, fix the token.
func _show_headline(refused: bool) -> void:
	var control: String = StudioSession.control_endpoint()
	if refused:
		_title.text = "The backend at %s wants a different token" % control
		_hint.text = (
			"It runs, but refuses this Studio's token. Press Change endpoints… and type the token"
			+ " it was started with (--token or VAESTUDIO_TOKEN)."
		)
		return
	var again: bool = StudioSession.connection.ever_connected
	var command: String = serve_command(
		control,
		StudioSession.stream_endpoint(),
		not StudioSession.token.is_empty(),
		"--resume last" if again else ""
	)
	if again:
		_title.text = "The backend at %s went away" % control
		_hint.text = (
			"This screen reconnects by itself and puts back your run, view and pins when it"
			+ " returns. To continue the run, restart the backend with:\n%s" % command
		)
		return
	_title.text = "Waiting for the VAE Studio backend at %s" % control
	_hint.text = (
		"Start it with the command below; this screen connects by itself as soon as it is up.\n%s"
		% command
	)


## The command that starts a backend where this Studio looks for one: `make run` on the
## default endpoints, else with both endpoints as `vaestudio serve` flags, and `extra` flags.
## With a `token` the command takes it from VAESTUDIO_TOKEN, and the token is not shown.
static func serve_command(
	control: String, stream: String, token: bool, extra: String = ""
) -> String:
	var flags: PackedStringArray = []
	if control != DEFAULT_CONTROL or stream != DEFAULT_STREAM:
		flags.append_array(["--control", control, "--stream", stream])
	if not extra.is_empty():
		flags.append(extra)
	var command: String = "make run"
	if not flags.is_empty():
		command += ' ARGS="%s"' % " ".join(flags)
	return "VAESTUDIO_TOKEN=<the token> " + command if token else command


func _on_endpoints_changed(_control: String, _stream: String) -> void:
	_on_connection_changed(StudioSession.connected)


func _on_connection_refused(_reason: String) -> void:
	_show_headline(true)
	_refresh_detail()


func _refresh_detail() -> void:
	if not visible:
		return
	# The sentence names the control endpoint; the probe tells it whether requests get answers.
	StudioSession.connection.probe_control()
	_detail.text = StudioSession.connection_problem()
