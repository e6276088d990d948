extends Node
## Shared state of the Studio (autoload `StudioSession`): the backend client, the latest stream
## messages, the loss history and the decode queue. Components read it and connect its signals;
## only this node talks to the client. It opens no connection until the main scene attaches one,
## so scripts run with `--script` (the GDScript tests) never reach for a backend.

signal connection_changed(connected: bool)
signal metrics_received(metrics: Dictionary)
signal latent_received(frame: StudioLatentFrame)
signal status_received(status: Dictionary)
signal log_received(entry: Dictionary)
signal decode_finished(z: PackedFloat32Array, image: Image)
## A request came back with an error (or could not be sent); `message` is a sentence for the UI.
signal request_failed(op: String, message: String)

const DEFAULT_CONTROL: String = "tcp://127.0.0.1:5555"
const DEFAULT_STREAM: String = "tcp://127.0.0.1:5556"
## The loss history spans the whole run in at most this many points: when full, every other
## point is dropped and from then on only every second message is kept (then every fourth...).
const HISTORY_LENGTH: int = 600

## The user arguments after `--`, as {"control": "tcp://...", "screenshot": "/tmp/x.png", ...}.
var options: Dictionary = {}
var client: VaeStudioClient
var connected: bool = false
var status: Dictionary = {}
var metrics: Dictionary = {}
var latent: StudioLatentFrame
var latent_frames: int = 0
var metrics_frames: int = 0
var decoded_images: int = 0
## The z of the last decoded image and how long its round trip took.
var decoded_z := PackedFloat32Array()
var decode_latency_ms: float = 0.0
var history_step := PackedFloat32Array()
var history_recon := PackedFloat32Array()
var history_kl := PackedFloat32Array()

var _run: String = ""
var _history_stride: int = 1
var _history_skipped: int = 0
var _decode_in_flight: bool = false
var _decode_next := PackedFloat32Array()
var _decode_sent_ms: int = 0


func _init() -> void:
	options = parse_user_args(OS.get_cmdline_user_args())


## Turns `--key=value` and bare `--flag` arguments into a dictionary.
static func parse_user_args(args: PackedStringArray) -> Dictionary:
	var parsed: Dictionary = {}
	for arg in args:
		if not arg.begins_with("--"):
			continue
		var body: String = arg.substr(2)
		var eq: int = body.find("=")
		if eq < 0:
			parsed[body] = "true"
		else:
			parsed[body.substr(0, eq)] = body.substr(eq + 1)
	return parsed


func control_endpoint() -> String:
	return str(options.get("control", DEFAULT_CONTROL))


func stream_endpoint() -> String:
	return str(options.get("stream", DEFAULT_STREAM))


## Makes `new_client` the session's client: the endpoints come from the user arguments, and its
## signals feed the session. Call before adding it to the tree so autoconnect uses them.
func attach_client(new_client: VaeStudioClient) -> void:
	client = new_client
	client.control_endpoint = control_endpoint()
	client.stream_endpoint = stream_endpoint()
	client.connection_changed.connect(_on_connection_changed)
	client.stream_received.connect(_on_stream_received)


func latent_dim() -> int:
	if latent != null and latent.latent_dim > 0:
		return latent.latent_dim
	return int(status.get("latent_dim", 0))


func is_training() -> bool:
	return status.get("state", "") == "training"


## A sentence on why the backend is not there, for the waiting overlay.
func connection_problem() -> String:
	if client == null:
		return "No client attached."
	return client.last_error()


## Sends an op; `on_reply` (optional) gets the whole reply dictionary. Errors also go out as
## `request_failed`.
func send(op: String, args: Dictionary = {}, on_reply: Callable = Callable()) -> void:
	if client == null:
		request_failed.emit(op, "The Studio has no backend client.")
		return
	var request: VaeStudioRequest = client.request(op, args)
	var handler: Callable = _on_reply.bind(op, on_reply)
	if request.done:
		handler.call(request.reply)
	else:
		request.finished.connect(handler, CONNECT_ONE_SHOT)


## Asks for the image at `z`. At most one decode is in flight: a newer `z` waits and replaces any
## older waiting one, and goes out as soon as the reply to the previous one arrives.
func request_decode(z: PackedFloat32Array) -> void:
	_decode_next = z
	if not _decode_in_flight:
		_send_next_decode()


func _send_next_decode() -> void:
	if _decode_next.is_empty() or client == null or not connected:
		return
	var z: PackedFloat32Array = _decode_next
	_decode_next = PackedFloat32Array()
	_decode_in_flight = true
	_decode_sent_ms = Time.get_ticks_msec()
	var z_array: Dictionary = VaeStudioArray.from_float32(z, [1, z.size()])
	send("decode", {"z": z_array}, _on_decode_reply.bind(z))


func _on_decode_reply(reply: Dictionary, z: PackedFloat32Array) -> void:
	_decode_in_flight = false
	decode_latency_ms = float(Time.get_ticks_msec() - _decode_sent_ms)
	if reply.get("ok", false):
		var result: Variant = reply.get("result")
		var images: Variant = result.get("images") if result is Dictionary else null
		if images is Dictionary and VaeStudioArray.validate(images).is_empty():
			var image: Image = VaeStudioArray.to_image(images, 0)
			if image != null and not image.is_empty():
				decoded_images += 1
				decoded_z = z
				decode_finished.emit(z, image)
		else:
			request_failed.emit("decode", "The decode reply carried no images array.")
	_send_next_decode()


func _on_reply(reply: Dictionary, op: String, on_reply: Callable) -> void:
	if not reply.get("ok", false):
		request_failed.emit(op, describe_error(reply))
	if on_reply.is_valid():
		on_reply.call(reply)


## The error sentence of a failed reply, e.g. "invalid_argument: lr must be > 0".
static func describe_error(reply: Dictionary) -> String:
	var error: Variant = reply.get("error")
	if error is Dictionary:
		return "%s: %s" % [error.get("code", "error"), error.get("message", "")]
	return "The backend answered with an error."


func _on_connection_changed(now_connected: bool) -> void:
	connected = now_connected
	if connected:
		send("hello", {"client": "vaestudio-godot", "protocol": 1})
		send("status", {}, _on_status_reply)
		_send_next_decode()
	else:
		_decode_in_flight = false
	connection_changed.emit(connected)


func _on_status_reply(reply: Dictionary) -> void:
	if reply.get("ok", false) and reply.get("result") is Dictionary:
		_on_stream_received("status", reply["result"])


func _on_stream_received(topic: String, message: Dictionary) -> void:
	var run: String = str(message.get("run", _run))
	if run != _run:
		_run = run
		_clear_history()
	match topic:
		"metrics":
			metrics = message
			metrics_frames += 1
			_append_history(message)
			metrics_received.emit(message)
		"latent":
			var frame := StudioLatentFrame.from_message(message)
			if not frame.error.is_empty():
				push_warning("Ignored a latent frame: %s" % frame.error)
				return
			latent = frame
			latent_frames += 1
			latent_received.emit(frame)
		"status":
			status = message
			status_received.emit(message)
		"log":
			log_received.emit(message)


func _append_history(message: Dictionary) -> void:
	var step: Variant = message.get("step")
	var recon: Variant = message.get("recon")
	var kl: Variant = message.get("kl")
	for value: Variant in [step, recon, kl]:
		if typeof(value) != TYPE_INT and typeof(value) != TYPE_FLOAT:
			return
	if not history_step.is_empty() and float(step) <= history_step[-1]:
		return
	_history_skipped += 1
	if _history_skipped < _history_stride:
		return
	_history_skipped = 0
	history_step.append(float(step))
	history_recon.append(float(recon))
	history_kl.append(float(kl))
	if history_step.size() >= HISTORY_LENGTH:
		history_step = _every_other(history_step)
		history_recon = _every_other(history_recon)
		history_kl = _every_other(history_kl)
		_history_stride *= 2


static func _every_other(values: PackedFloat32Array) -> PackedFloat32Array:
	var kept := PackedFloat32Array()
	kept.resize(ceili(values.size() / 2.0))
	for i in kept.size():
		kept[i] = values[2 * i]
	return kept


func _clear_history() -> void:
	history_step = PackedFloat32Array()
	history_recon = PackedFloat32Array()
	history_kl = PackedFloat32Array()
	_history_stride = 1
	_history_skipped = 0
