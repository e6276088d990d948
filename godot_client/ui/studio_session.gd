extends Node
## Shared state of the Studio (autoload `StudioSession`): the backend client, the latest stream
## messages, the loss history, the decode queue, the Log and the notices. Components read it and
## connect its signals; only this node talks to the client. Every failed request is written into
## the Log and, unless the panel that asked shows it (on screen, or when the user opens it for
## a request it made off screen), posted as a notice ([member notices]); [member connection]
## restores the state after a reconnect. The client is made here, from the `--control=`,
## `--stream=` and `--token=` user arguments (anything not given keeps the client's own
## default), but connects only once the main scene [method start]s
## it, so scripts run with `--script` (the GDScript tests) never reach for a backend.

signal connection_changed(connected: bool)
signal metrics_received(metrics: Dictionary)
signal latent_received(frame: StudioLatentFrame)
signal status_received(status: Dictionary)
signal log_received(entry: Dictionary)
## A decode came back: `image` for image data, or null for vector data, whose decoded point is
## then in [member decoded_values].
signal decode_finished(z: PackedFloat32Array, image: Image)
## The backend now projects and colours the `latent` stream this way (`latent.view` replied).
signal latent_view_changed(view: Dictionary)
## A request came back with an error (or could not be sent, timed out, or was lost with the
## connection); `message` is a sentence for the UI.
signal request_failed(op: String, message: String)
## The live run changed (a new run, a reset or a loaded run): stream messages now carry `run`.
signal run_changed(run: String)
## The `hello` reply arrived: [member server_ops] now lists what the backend offers.
signal hello_received(result: Dictionary)
## [method reconnect] replaced the client: it now tries these endpoints.
signal endpoints_changed(control: String, stream: String)
## The backend turned the client away (a wrong or missing token); it keeps retrying.
signal connection_refused(reason: String)
## A data-set row asked for with [method StudioDataPoint.inspect] is in: the row, its μ, σ and
## the decode of μ (or `point.error` says why not).
signal data_point_received(point: StudioDataPoint)
## [member path] changed (a new interpolation path, or none).
signal path_changed
## A `dims` message: KL per latent dimension on a fixed batch, and the active units.
signal dims_received(message: Dictionary)
## A `recons` message: fixed test rows and their reconstructions.
signal recons_received(message: Dictionary)
## A `layers` message: weight and gradient norm per layer.
signal layers_received(message: Dictionary)
## An `eval` message: the test split's ELBO at a step (its terms went into the history too).
signal eval_received(message: Dictionary)
## [member metrics_history] changed: a history reply was merged, or a live point added.
signal history_changed
## [member highlighted_rows] changed.
signal highlight_changed

## Buckets asked of `metrics.history`: the curve from step 1 in this many points.
const HISTORY_POINTS: int = 1000
## How many `log` events are kept for the Studio's log list.
const LOG_LENGTH: int = 50
## The key of a failed op's notice ("request:config.set"): the op's next success clears it.
const REQUEST_NOTICE: String = "request:%s"
## Error codes the client makes itself (the server never sends them), and `unknown_op`, which
## [method describe_failure] words for the user.
const CLIENT_FAILURES: PackedStringArray = [
	"unknown_op", "disconnected", "not_connected", "timeout"
]
## Error codes in words, for a reply that carries no sentence of its own.
const ERROR_WORDS: Dictionary = {
	"bad_request": "the backend could not read the request (a bug in the Studio).",
	"invalid_argument": "the backend refused a value of the request.",
	"too_large": "the request asks for too much at once.",
	"cancelled": "it was cancelled.",
	"timed_out": "it ran past its time limit.",
	"internal": "the backend failed while handling it; it keeps running.",
}
## Replies wait this long: `run.new` on a large data set, `run.export` and `eval` with many
## importance samples take seconds. A backend that goes away fails them at once anyway.
const REQUEST_TIMEOUT_S: float = 60.0

## The user arguments after `--`, as {"control": "tcp://...", "tab": "runs", ...}.
var options: Dictionary = {}
## The backend client; [method reconnect] replaces it. Endpoint defaults are its own.
var client: VaeStudioClient
## The token the client presents (PLAIN); "" connects without one.
var token: String = ""
var connected: bool = false
var status: Dictionary = {}
var metrics: Dictionary = {}
var latent: StudioLatentFrame
var latent_frames: int = 0
var metrics_frames: int = 0
var decoded_images: int = 0
## The z of the last decode and how long its round trip took.
var decoded_z := PackedFloat32Array()
## The run and step of the model the last decode was asked of ("" and -1 before one): the decode
## on show is asked again as the model trains ([member live_decode]).
var decoded_run: String = ""
var decoded_step: int = -1
## When the decode on show is asked again: as the model trains, after a run change or reconnect.
var live_decode := StudioLiveDecode.new()
## How many times the link came up; a decode made over an older link is made again.
var links: int = 0
## The last decode of vector data (toy manifolds): the decoded point, [D]; empty for images.
var decoded_values := PackedFloat32Array()
## How many decodes of vector data came back.
var decoded_vectors: int = 0
## The anchor of picks on the latent view (protocol §6.1): the full z whose coordinates off the
## shown axes a pick keeps. Empty: the latest frame's `center`.
var decode_anchor := PackedFloat32Array()
## The `latent.view` in force ({projection, dims, color}), from the status or the last reply.
var latent_view: Dictionary = {}
var decode_latency_ms: float = 0.0
## Every metric of the live run from its first step: the `metrics.history` reply, then the live
## `metrics` and `eval` messages after it.
var metrics_history := StudioMetrics.new()
## The newest `dims`, `recons`, `layers` and `eval` messages of the live run ({} before one).
var dims: Dictionary = {}
var recons: Dictionary = {}
var layers: Dictionary = {}
var last_eval: Dictionary = {}
## The history request's error ("" when it answered or is on its way).
var history_error: String = ""
## Counts since the live run began, so a component can wait for the new run's own data.
var run_latent_frames: int = 0
var run_decoded_images: int = 0
## The class label sent with decodes when the live model is conditional, and the label of the
## last decoded image (-1 when it was decoded without one).
var decode_label: int = 0
var decoded_label: int = -1
## The ops the backend named in its `hello` reply (empty until it answered).
var server_ops := PackedStringArray()
var server_version: String = ""
## The newest `log` events, oldest first; each is the stream message plus `time` ("12:03:45").
## The Studio's own lines ([method note]) are among them with `origin` "studio".
var log_entries: Array[Dictionary] = []
## What the user should see beside the panel they look at: failed requests and a run that
## changed under them (the notice bar shows the newest).
var notices := StudioNotices.new()
## Says in the Log when the backend goes and comes back, and restores the run, view and history.
var connection := StudioConnection.new()
## The data-set row last asked for with [method StudioDataPoint.inspect] (null before any).
var data_point: StudioDataPoint
## Pinned z (add, remove, clear; [signal StudioPins.changed]), fitted to each new latent width.
var pins := StudioPins.new()
## The interpolation path on show (full z each), for drawing; empty when there is none. Setting
## it emits [signal path_changed].
var path: Array[PackedFloat32Array] = []:
	set(value):
		path = value
		path_changed.emit()
## Data-set rows the latent view rings (e.g. the Anomaly page's flagged rows); setting it emits
## [signal highlight_changed].
var highlighted_rows := PackedInt32Array():
	set(value):
		highlighted_rows = value
		highlight_changed.emit()
## The whole z on show (read-only): the last decode's, else the anchor, else the newest frame's
## center; empty before any frame or status gives the width.
var current_z: PackedFloat32Array:
	get = _get_current_z
## The class label each row of a batch `decode` carries (read-only): -1 (none) unless the live
## model is conditional. See [method decode_args].
var batch_label: int:
	get = _get_batch_label
## The live run (read-only; "" before the first message of one).
var live_run: String:
	get:
		return _run
## The newest step of the live run the Studio heard of (read-only): from its metrics, latent
## frame or status; -1 before any.
var live_step: int:
	get = _get_live_step

var _run: String = ""
var _decode_in_flight: bool = false
var _decode_next := PackedFloat32Array()
var _decode_sent_ms: int = 0
## The "decode" requests sent through [method send] (pruned as they finish).
var _decode_requests: Array[VaeStudioRequest] = []
## A data-set row is on show in the inspector (its reply came after the last decode's), so the
## live decode leaves the inspector alone.
var _point_on_show: bool = false


func _init() -> void:
	options = parse_user_args(OS.get_cmdline_user_args())
	token = str(options.get("token", ""))
	_make_client(str(options.get("control", "")), str(options.get("stream", "")))
	data_point_received.connect(func(_point: StudioDataPoint) -> void: _point_on_show = true)


func _process(_delta: float) -> void:
	_send_next_decode()  # one that waited for another panel's decode (a pin's) to come back
	_refresh_decode()


func _notification(what: int) -> void:
	# A client that never entered the tree (a `--script` run) is freed with the session.
	if what == NOTIFICATION_PREDELETE and client != null and not client.is_inside_tree():
		client.free()


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
	return client.control_endpoint


func stream_endpoint() -> String:
	return client.stream_endpoint


## Puts the client under `parent`, where it connects by itself (and keeps retrying).
func start(parent: Node) -> void:
	if client.get_parent() == null:
		parent.add_child(client)


## Drops the client and makes a new one for these endpoints and token ("" keeps the default
## endpoint), in the same place in the tree, so it connects at once.
func reconnect(control: String, stream: String, new_token: String) -> void:
	var parent: Node = client.get_parent()
	client.connection_changed.disconnect(_on_connection_changed)
	client.stream_received.disconnect(_on_stream_received)
	client.connection_refused.disconnect(_on_connection_refused)
	if parent != null:
		parent.remove_child(client)
	client.queue_free()
	token = new_token
	_decode_in_flight = false
	_decode_requests.clear()
	_make_client(control, stream)
	connection.on_endpoints_changed()
	if connected:
		_on_connection_changed(false)
	endpoints_changed.emit(control_endpoint(), stream_endpoint())
	if parent != null:
		parent.add_child(client)


## Why `endpoint` cannot be connected to ("" when it can), e.g. for the connect dialog.
static func endpoint_problem(endpoint: String) -> String:
	var parsed: Dictionary = VaeStudioZmtpSocket.parse_endpoint(endpoint)
	return "" if parsed["ok"] else str(parsed["error"])


func _make_client(control: String, stream: String) -> void:
	client = VaeStudioClient.new()
	client.name = "VaeStudioClient"
	if not control.is_empty():
		client.control_endpoint = control
	if not stream.is_empty():
		client.stream_endpoint = stream
	client.token = token
	client.request_timeout_s = REQUEST_TIMEOUT_S
	client.connection_changed.connect(_on_connection_changed)
	client.stream_received.connect(_on_stream_received)
	client.connection_refused.connect(_on_connection_refused)


## Decodes the full z of point `p` on the latent view's first two axes: the latest frame's
## [method StudioLatentFrame.to_z] through [member decode_anchor]. False without a frame.
func decode_point(p: Vector2) -> bool:
	if latent == null or latent.latent_dim == 0:
		return false
	request_decode(latent.to_z(p, decode_anchor))
	return true


## Asks the backend to project or colour the `latent` stream otherwise: any of `projection`
## ("pca"/"dims"), `dims` (1–3 dimensions) and `color` ("label", "loss", "z<d>"). `restoring`:
## the view is put back after a reconnect, not a new choice of the user's.
func set_latent_view(args: Dictionary, restoring: bool = false) -> void:
	if not restoring:
		connection.on_view_chosen(args)
	send("latent.view", args, _on_latent_view_reply)


func _on_latent_view_reply(request: VaeStudioRequest) -> void:
	var view: Variant = request.result().get("view") if request.is_ok() else null
	if view is Dictionary:
		latent_view = view
		latent_view_changed.emit(latent_view)


func latent_dim() -> int:
	if latent != null and latent.latent_dim > 0:
		return latent.latent_dim
	return int(status.get("latent_dim", 0))


func is_training() -> bool:
	return status.get("state", "") == "training"


## The `model` map of the latest status ({} from a backend that sends none).
func model_info() -> Dictionary:
	var model: Variant = status.get("model")
	return model if model is Dictionary else {}


## True when the live model decodes conditioned on a class label (a cvae).
func is_conditional() -> bool:
	return model_info().get("conditional", false) == true and num_classes() > 0


func num_classes() -> int:
	var classes: Variant = model_info().get("num_classes")
	return int(classes) if typeof(classes) in [TYPE_INT, TYPE_FLOAT] else 0


## False when the backend's `hello` listed its ops and `op` was not among them. Before `hello`
## has answered every op counts as supported; an `unknown_op` reply is handled where it lands.
func supports(op: String) -> bool:
	return server_ops.is_empty() or server_ops.has(op)


## Sets the class label that conditional decodes carry and decodes the last point again with it,
## so the same z shows another class ("style transfer").
func set_decode_label(label: int) -> void:
	if label == decode_label:
		return
	decode_label = label
	if is_conditional() and not decoded_z.is_empty() and decoded_z.size() == latent_dim():
		request_decode(decoded_z)


## A sentence on why the backend is not there, for the waiting overlay
## ([method StudioConnection.problem]).
func connection_problem() -> String:
	return connection.problem()


## Sends an op; `on_reply` (optional) gets the finished [VaeStudioRequest] (its `is_ok()`,
## `result()`, `error_code()`). Errors also go out as `request_failed`. Returns the request (its
## `id` is what `cancel` takes), or null without a client.
func send(op: String, args: Dictionary = {}, on_reply: Callable = Callable()) -> VaeStudioRequest:
	if client == null:
		request_failed.emit(op, "The Studio has no backend client.")
		_report(op, "the Studio has no backend client")
		return null
	var request: VaeStudioRequest = client.request(op, args)
	if op == "decode" and not request.done:
		_decode_requests.append(request)
	# A panel off screen that asks by itself (a refresh after a run change) shows its failure
	# inline when the user opens it; one the user left after asking gets a notice.
	var asked_off_screen: bool = _off_screen_panel(on_reply)
	if request.done:
		_on_reply(request.reply, request, on_reply, asked_off_screen)
	else:
		request.finished.connect(
			_on_reply.bind(request, on_reply, asked_off_screen), CONNECT_ONE_SHOT
		)
	return request


## How many `decode` requests (of any panel) wait for their replies now.
func decodes_in_flight() -> int:
	_decode_requests = _decode_requests.filter(func(r: VaeStudioRequest) -> bool: return not r.done)
	return _decode_requests.size()


func _get_live_step() -> int:
	var step: int = int(status.get("step", -1)) if str(status.get("run", "")) == _run else -1
	if str(metrics.get("run", "")) == _run:
		step = maxi(step, int(metrics.get("step", -1)))
	if latent != null and latent.run == _run:
		step = maxi(step, latent.step)
	return step


## Asks for the status now (after an op that changed it) instead of waiting for the stream.
func refresh_status() -> void:
	send("status", {}, _on_status_reply)


## Asks for the image at `z`. At most one decode is in flight, of any panel: a newer `z` waits
## and replaces any older waiting one, and goes out as soon as the reply to the previous one
## arrives. With `decoded` (the image of `z`, decoded already, e.g. a frame of an interpolation)
## it is shown at once, as if its reply had come, and nothing is sent.
func request_decode(z: PackedFloat32Array, decoded: Image = null) -> void:
	if decoded != null:
		_decode_next = PackedFloat32Array()
		live_decode.sent(_run, live_step, links, Time.get_ticks_msec())
		_decode_shown(z, decoded_label, PackedFloat32Array(), decoded, _run, live_step)
		return
	_decode_next = z
	if not _decode_in_flight:
		_send_next_decode()


func _send_next_decode() -> void:
	if _decode_next.is_empty() or client == null or not connected or _decode_in_flight:
		return
	if decodes_in_flight() > 0:  # a pin's is out: at most one at a time, this one waits
		return
	# After a run change the status may still describe the old model (its latent width, whether
	# it takes labels): hold the decode until the new run's status is in.
	if str(status.get("run", _run)) != _run:
		return
	var z: PackedFloat32Array = _decode_next
	_decode_next = PackedFloat32Array()
	_decode_in_flight = true
	_decode_sent_ms = Time.get_ticks_msec()
	var step: int = live_step
	live_decode.sent(_run, step, links, _decode_sent_ms)
	var args: Dictionary = {"z": VaeStudioArray.from_float32(z, [1, z.size()])}
	var label: int = -1
	if is_conditional():
		label = clampi(decode_label, 0, num_classes() - 1)
		args["labels"] = VaeStudioArray.from_int32(PackedInt32Array([label]), [1])
	send("decode", args, _on_decode_reply.bind(z, label, _run, step))


## Asks for the decode on show again when the model moved on since it was asked
## ([member live_decode]): while it trains, after a pause, a run change or a reconnect. It waits
## for any decode in flight (so at most one is out) and leaves a data-set row on show alone; a
## decode of another latent width waits for the run's first frame (main.gd decodes its center).
func _refresh_decode() -> void:
	if not connected or decoded_z.is_empty() or _point_on_show:
		return
	if _decode_in_flight or not _decode_next.is_empty() or decodes_in_flight() > 0:
		return
	if decoded_z.size() != latent_dim() or str(status.get("run", "")) != _run:
		return
	if live_decode.due(_run, live_step, links, is_training(), Time.get_ticks_msec()):
		request_decode(decoded_z)


func _on_decode_reply(
	request: VaeStudioRequest, z: PackedFloat32Array, label: int, run: String, step: int
) -> void:
	_decode_in_flight = false
	decode_latency_ms = float(Time.get_ticks_msec() - _decode_sent_ms)
	if request.is_ok():
		var result: Dictionary = request.result()
		var images: Variant = result.get("images")
		var values: Variant = result.get("values")
		if images is Dictionary and VaeStudioArray.validate(images).is_empty():
			var image: Image = VaeStudioArray.to_image(images, 0)
			if image != null and not image.is_empty():
				decoded_images += 1
				_decode_shown(z, label, PackedFloat32Array(), image, run, step)
		elif values is Dictionary and _is_row_of_floats(values):
			decoded_vectors += 1
			_decode_shown(z, label, VaeStudioArray.to_float32(values), null, run, step)
		else:
			var why: String = "the reply carried no images or values array"
			request_failed.emit("decode", why)
			_report("decode", why)
	_send_next_decode()


func _decode_shown(
	z: PackedFloat32Array,
	label: int,
	values: PackedFloat32Array,
	image: Image,
	run: String,
	step: int
) -> void:
	run_decoded_images += 1
	_point_on_show = false
	decoded_run = run
	decoded_step = step
	decoded_z = z
	decoded_label = label
	decoded_values = values
	decode_finished.emit(z, image)


## True for an f32 [1, D] array: one decoded point of vector data.
static func _is_row_of_floats(arr: Dictionary) -> bool:
	var shape: Variant = arr.get("shape")
	return (
		VaeStudioArray.validate(arr).is_empty()
		and arr.get("dtype") == "f32"
		and shape is Array
		and (shape as Array).size() == 2
		and int(shape[0]) >= 1
	)


func _on_reply(
	_reply: Dictionary, request: VaeStudioRequest, on_reply: Callable, asked_off_screen: bool
) -> void:
	if request.is_ok():
		# What was wrong with this op is not true any more.
		notices.clear(REQUEST_NOTICE % request.op)
	else:
		var why: String = describe_failure(request)
		request_failed.emit(request.op, why)
		_report_failure(request, why, asked_off_screen or _shown_by_caller(on_reply))
	if on_reply.is_valid():
		on_reply.call(request)


## Writes a failure into the Log and, unless the caller shows it on screen, posts it as a notice.
## A `cancel` the user asked for is no error; `hello` is allowed to be missing (older backends).
func _report_failure(request: VaeStudioRequest, why: String, shown_inline: bool) -> void:
	var code: String = request.error_code()
	if code == "unknown_op" and request.op == "hello":
		return
	# The server's own sentence reads best on its own; the client's failures are sentences already.
	var sentence: String = request.error_message()
	if code in CLIENT_FAILURES or sentence.is_empty():
		sentence = why
	_report(request.op, sentence, shown_inline, code == "cancelled")


## Logs "<what> (<op>) failed: <sentence>" and, unless the caller shows it on screen or it is
## `expected` (a cancel the user asked for, logged as info), posts it as a notice.
func _report(
	op: String, sentence: String, shown_inline: bool = false, expected: bool = false
) -> void:
	var text: String = StudioNotices.request_text(op, sentence)
	note("info" if expected else "error", "request_failed", text)
	if not shown_inline and not expected:
		notices.post(REQUEST_NOTICE % op, text)


## True when the failure shows where it was asked for: every panel shows its own failures inline,
## so a reply that goes to a control on screen is shown there; the inspector, always on screen,
## shows a [StudioDataPoint]'s. Any other (the session's own decodes, a panel the user has left)
## needs a notice.
static func _off_screen_panel(on_reply: Callable) -> bool:
	if not on_reply.is_valid():
		return false
	var owner: Object = on_reply.get_object()
	return owner is Control and not (owner as Control).is_visible_in_tree()


static func _shown_by_caller(on_reply: Callable) -> bool:
	if not on_reply.is_valid():
		return false
	var owner: Object = on_reply.get_object()
	if owner is StudioDataPoint:
		return true
	return owner is Control and (owner as Control).is_visible_in_tree()


## Adds a line of the Studio's own to the Log, beside the backend's `log` events: a failed
## request, a lost or regained connection, a run that changed under the user. `level` is "info",
## "warning" or "error". A line equal to the newest one counts up (`repeat`) instead.
func note(level: String, event: String, message: String) -> void:
	var time: String = Time.get_time_string_from_system()
	var last: Dictionary = log_entries[-1] if not log_entries.is_empty() else {}
	if (
		last.get("origin") == "studio"
		and last.get("event") == event
		and last.get("message") == message
	):
		last["repeat"] = int(last.get("repeat", 1)) + 1
		last["time"] = time
		log_received.emit(last)
		return
	_add_log_entry(
		{"level": level, "event": event, "message": message, "origin": "studio", "time": time}
	)


func _add_log_entry(entry: Dictionary) -> void:
	log_entries.append(entry)
	if log_entries.size() > LOG_LENGTH:
		log_entries.pop_front()
	log_received.emit(entry)


## The args of one `decode` request for `rows` z one after another in `z` (rows × width), each
## row with class `label` unless it is negative (see [member batch_label]).
static func decode_args(z: PackedFloat32Array, rows: int, label: int = -1) -> Dictionary:
	var width: int = z.size() / maxi(rows, 1)
	var args: Dictionary = {"z": VaeStudioArray.from_float32(z, [rows, width])}
	if label >= 0:
		var labels := PackedInt32Array()
		labels.resize(rows)
		labels.fill(label)
		args["labels"] = VaeStudioArray.from_int32(labels, [rows])
	return args


func _get_current_z() -> PackedFloat32Array:
	var width: int = latent_dim()
	if decoded_z.size() == width and width > 0:
		return decoded_z
	if decode_anchor.size() == width and width > 0:
		return decode_anchor
	if latent != null and latent.center.size() == width:
		return latent.center
	return PackedFloat32Array()


func _get_batch_label() -> int:
	return clampi(decode_label, 0, num_classes() - 1) if is_conditional() else -1


## The error sentence of a failed request: the server's own sentence (e.g. "lr must be > 0"),
## or the error code in words when it sent none.
static func describe_error(request: VaeStudioRequest) -> String:
	var sentence: String = request.error_message().strip_edges()
	if not sentence.is_empty():
		return sentence
	return str(ERROR_WORDS.get(request.error_code(), "the backend answered with an error."))


## Like [method describe_error], but an `unknown_op` reply and the client's own failures (lost
## with the connection, never sent, no reply in time) become sentences a user can act on. They
## never name the op: the caller says what was asked ([method StudioNotices.request_text]).
static func describe_failure(request: VaeStudioRequest) -> String:
	match request.error_code():
		"unknown_op":
			return "this backend is older than the Studio and cannot do it: update vaestudio."
		"disconnected":
			return "the backend went away before answering."
		"not_connected":
			return "it was not sent: the backend is not connected."
		"timeout":
			return "the backend did not answer within %d s." % roundi(REQUEST_TIMEOUT_S)
	return describe_error(request)


func _on_connection_changed(now_connected: bool) -> void:
	connected = now_connected
	connection.on_connection_changed(connected)
	if connected:
		links += 1
		send("hello", {"client": "vaestudio-godot", "protocol": 1}, _on_hello_reply)
		send("status", {}, _on_status_reply)
		if not _run.is_empty():
			request_history()
		_send_next_decode()
	else:
		_decode_in_flight = false
	connection_changed.emit(connected)


func _on_connection_refused(reason: String) -> void:
	connection_refused.emit(reason)


func _on_hello_reply(request: VaeStudioRequest) -> void:
	if not request.is_ok():
		return
	var result: Dictionary = request.result()
	var ops: Variant = result.get("ops")
	server_ops = PackedStringArray(ops) if ops is Array else PackedStringArray()
	server_version = str(result.get("version", ""))
	hello_received.emit(result)


func _on_status_reply(request: VaeStudioRequest) -> void:
	if request.is_ok():
		_on_stream_received("status", request.result())


func _on_stream_received(topic: String, message: Dictionary) -> void:
	var run: String = str(message.get("run", _run))
	if run != _run:
		var first: bool = _run.is_empty()
		_run = run
		_forget_run_streams(run)
		run_latent_frames = 0
		run_decoded_images = 0
		if not first:
			# The old run's frame may have another latent width: fall back to the status's.
			latent = null
			refresh_status()
		run_changed.emit(run)
		request_history()
	match topic:
		"metrics":
			metrics = message
			metrics_frames += 1
			if metrics_history.append_message(message):
				history_changed.emit()
			if metrics_history.history_before_first_step:
				metrics_history.history_before_first_step = false
				request_history()  # the steps before this first live point
			metrics_received.emit(message)
		"latent":
			var frame := StudioLatentFrame.from_message(message)
			if not frame.error.is_empty():
				push_warning("Ignored a latent frame: %s" % frame.error)
				return
			latent = frame
			pins.fit(frame.latent_dim, frame.center)
			latent_frames += 1
			run_latent_frames += 1
			latent_received.emit(frame)
		"status":
			status = message
			var view: Variant = message.get("latent_view")
			if view is Dictionary and view != latent_view:
				latent_view = view
				latent_view_changed.emit(latent_view)
			status_received.emit(message)
			connection.on_status(message)
			_send_next_decode()
		"log":
			var entry: Dictionary = message.duplicate()
			entry["time"] = Time.get_time_string_from_system()
			_add_log_entry(entry)
		"dims", "recons", "layers", "eval":
			_on_dashboard_stream(topic, message)


## Asks for the live run's whole history; the reply is merged under the live points already in
## (`from_scratch`: they are dropped first, e.g. when the run came back at an earlier step). A
## backend without the op keeps the live curve (from when the Studio joined).
func request_history(from_scratch: bool = false) -> void:
	if from_scratch:
		metrics_history.clear(_run)
		history_changed.emit()
	if client == null or not connected:
		return
	var request: VaeStudioRequest = client.request(
		"metrics.history", {"max_points": HISTORY_POINTS}
	)
	if request.done:
		_on_history_reply(request)
	else:
		request.finished.connect(
			func(_reply: Dictionary) -> void: _on_history_reply(request), CONNECT_ONE_SHOT
		)


func _on_history_reply(request: VaeStudioRequest) -> void:
	if not request.is_ok():
		history_error = "" if request.error_code() == "unknown_op" else describe_failure(request)
		if not history_error.is_empty():
			_report_failure(request, history_error, false)
		return
	var result: Dictionary = request.result()
	# A reply for a run that is no longer live: the run change asked again.
	if str(result.get("run", "")) != _run:
		return
	history_error = metrics_history.merge_history(result)
	if history_error.is_empty():
		history_changed.emit()
	else:
		push_warning("Ignored a metrics.history reply: %s" % history_error)


## A new run: the old run's series and dashboard streams no longer apply.
func _forget_run_streams(run: String) -> void:
	metrics_history.clear(run)
	dims = {}
	recons = {}
	layers = {}
	last_eval = {}
	history_error = ""
	history_changed.emit()


## The dashboard's streams: each kept as the newest of its topic and signalled.
func _on_dashboard_stream(topic: String, message: Dictionary) -> void:
	match topic:
		"dims":
			dims = message
			dims_received.emit(message)
		"recons":
			recons = message
			recons_received.emit(message)
		"layers":
			layers = message
			layers_received.emit(message)
		"eval":
			last_eval = message
			if metrics_history.append_eval(message):
				history_changed.emit()
			eval_received.emit(message)
