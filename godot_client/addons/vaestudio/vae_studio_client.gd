class_name VaeStudioClient
extends Node
## Connects a Godot scene to a VAE Studio backend: a DEALER for requests (matched by id, with a
## timeout) and a SUB for the streams (latest-wins per topic). Pure GDScript, polled from
## _process, never blocks a frame, reconnects by itself with backoff when the backend goes away.
##
##   var reply: Dictionary = await client.request("status").finished
##   if reply["ok"]: print(reply["result"]["state"])
##
## Replies are the whole wire map ({"v", "id", "ok", "result"} or {"v", "id", "ok": false,
## "error": {"code", "message"}}). Client-side failures use the codes "timeout",
## "not_connected", "disconnected" and "invalid_argument" (args that msgpack cannot carry).
##
## A backend bound beyond loopback wants a token (ZMTP PLAIN, username "vaestudio"): set
## [member token] before the node enters the tree, or before [method connect_to_backend]. A
## refused token keeps the client retrying with backoff, and says so through
## [signal connection_refused], [method is_refused] and [method last_error].

## True once the control (and, when configured, stream) handshake is done; false when lost.
signal connection_changed(connected: bool)
## The newest message of a topic this frame (older ones of the same frame are dropped).
signal stream_received(topic: String, message: Dictionary)
## Every request, once it has its reply (or failure).
signal request_finished(request: VaeStudioRequest)
## The backend turned the connection away: wrong or missing token, or a token it does not
## want. Emitted once until a connection succeeds again; the client keeps retrying.
signal connection_refused(reason: String)

const PROTOCOL_VERSION: int = 1
const BACKOFF_MIN_S: float = 0.25
const BACKOFF_MAX_S: float = 2.0
## The PLAIN username every VAE Studio backend expects; the token is the password.
const PLAIN_USERNAME: String = "vaestudio"


## One reconnecting connection: the socket plus its backoff state.
class _Link:
	extends RefCounted
	var socket: VaeStudioZmtpSocket
	var endpoint: String = ""
	var backoff_s: float = BACKOFF_MIN_S
	var retry_at_ms: int = 0
	var failure_seen: bool = false
	var was_ready: bool = false

	func _init(type: String, to: String, token: String) -> void:
		socket = VaeStudioZmtpSocket.new(type)
		endpoint = to
		if token != "":
			socket.plain_username = PLAIN_USERNAME
			socket.plain_password = token


@export var control_endpoint: String = "tcp://127.0.0.1:5555"
## Leave empty to run without streams (requests only).
@export var stream_endpoint: String = "tcp://127.0.0.1:5556"
@export var topics: PackedStringArray = [
	"metrics", "latent", "status", "log", "dims", "recons", "layers", "eval"
]
@export var request_timeout_s: float = 5.0
@export var autoconnect: bool = true

## The backend's token ("" = none, the NULL mechanism). Read by [method connect_to_backend] for
## both sockets and kept for every reconnect. Not exported: a scene file would leak it.
var token: String = ""
## Stream messages replaced by a newer one of the same topic within a frame (latest-wins).
var stream_messages_dropped: int = 0
## Stream messages that were not a two-frame [topic, msgpack map] message.
var stream_messages_malformed: int = 0

var _control: _Link = null
var _stream: _Link = null
var _active: bool = false
var _connected: bool = false
var _next_id: int = 1
var _pending: Dictionary = {}
var _last_error: String = ""
var _refused: bool = false
var _refusal_reported: bool = false


func _init() -> void:
	# Networking keeps running while the game is paused; a scene may override this.
	process_mode = Node.PROCESS_MODE_ALWAYS


func _ready() -> void:
	if autoconnect and not _active:
		connect_to_backend()


func _exit_tree() -> void:
	disconnect_from_backend()


func _process(_delta: float) -> void:
	if not _active:
		return
	_poll_link(_control)
	_drain_replies()
	if not _control.socket.is_ready() and not _pending.is_empty():
		_fail_all_pending("disconnected", "the connection to %s was lost" % _control.endpoint)
	if _stream != null:
		_poll_link(_stream)
		_drain_streams()
	_expire_requests()
	_update_connected()


## Starts (or restarts) connecting; "" keeps the exported endpoint. Returns
## ERR_INVALID_PARAMETER for a malformed endpoint (see [method last_error]), otherwise OK even
## when no backend is up yet: the client keeps retrying and emits [signal connection_changed].
func connect_to_backend(control: String = "", stream: String = "") -> Error:
	if control != "":
		control_endpoint = control
	if stream != "":
		stream_endpoint = stream
	disconnect_from_backend()
	var endpoints: Array[String] = [control_endpoint]
	if stream_endpoint != "":
		endpoints.append(stream_endpoint)
	for to: String in endpoints:
		var parsed: Dictionary = VaeStudioZmtpSocket.parse_endpoint(to)
		if not parsed["ok"]:
			_last_error = parsed["error"]
			return ERR_INVALID_PARAMETER
	_control = _Link.new("DEALER", control_endpoint, token)
	_stream = null
	if stream_endpoint != "":
		_stream = _Link.new("SUB", stream_endpoint, token)
		for topic: String in topics:
			_stream.socket.subscribe(topic)
	_active = true
	_refused = false
	_refusal_reported = false
	_last_error = "connecting to %s" % control_endpoint
	_poll_link(_control)
	if _stream != null:
		_poll_link(_stream)
	return OK


## Closes both connections and stops retrying; pending requests fail with "disconnected".
func disconnect_from_backend() -> void:
	_active = false
	for link: _Link in [_control, _stream]:
		if link != null:
			link.socket.close()
	_fail_all_pending("disconnected", "disconnect_from_backend() was called")
	_last_error = ""
	if _connected:
		_connected = false
		connection_changed.emit(false)


func is_backend_connected() -> bool:
	return _connected


## True while the latest failure was the backend refusing us (see [signal connection_refused]);
## false once connected, or after another kind of failure.
func is_refused() -> bool:
	return _refused and not _connected


## Sends {"v": 1, "id", "op", "args"} and returns the request to await; never null. When it
## cannot be sent it still finishes (one frame later) with an error reply.
func request(op: String, args: Dictionary = {}) -> VaeStudioRequest:
	var req := VaeStudioRequest.new(_next_id, op, args)
	_next_id += 1
	if _control == null or not _control.socket.is_ready():
		var why: String = (
			_last_error if _last_error != "" else "disconnect_from_backend() was called"
		)
		_finish_later(req, "not_connected", "not connected to the backend: %s" % why)
		return req
	var body: PackedByteArray = VaeStudioMsgpack.encode(
		{"v": PROTOCOL_VERSION, "id": req.id, "op": op, "args": args}
	)
	if body.is_empty():
		_finish_later(req, "invalid_argument", "args of '%s' cannot be sent as msgpack" % op)
		return req
	if _control.socket.send_message([body]) != OK:
		_finish_later(req, "not_connected", "the connection to %s is not ready" % control_endpoint)
		return req
	req.sent_ms = Time.get_ticks_msec()
	req.deadline_ms = req.sent_ms + int(request_timeout_s * 1000.0)
	_pending[req.id] = req
	return req


## Requests sent and still waiting for their reply.
func pending_count() -> int:
	return _pending.size()


## What is wrong, as a sentence for the UI ("" while connected), e.g.
## "no backend at tcp://127.0.0.1:5555 (retrying in 2 s)".
func last_error() -> String:
	return "" if _connected else _last_error


func _poll_link(link: _Link) -> void:
	var socket: VaeStudioZmtpSocket = link.socket
	var state: VaeStudioZmtpSocket.State = socket.get_state()
	if state == VaeStudioZmtpSocket.State.CLOSED or state == VaeStudioZmtpSocket.State.FAILED:
		if Time.get_ticks_msec() < link.retry_at_ms:
			return
		link.failure_seen = false
		link.was_ready = false
		socket.connect_to(link.endpoint)
	socket.poll()
	state = socket.get_state()
	if state == VaeStudioZmtpSocket.State.READY and not link.was_ready:
		link.was_ready = true
		link.backoff_s = BACKOFF_MIN_S
	elif state == VaeStudioZmtpSocket.State.FAILED and not link.failure_seen:
		_schedule_retry(link)


func _schedule_retry(link: _Link) -> void:
	link.failure_seen = true
	link.retry_at_ms = Time.get_ticks_msec() + int(link.backoff_s * 1000.0)
	var why: String = link.socket.get_error()
	if not link.was_ready and why.begins_with("nothing listens"):
		why = "no backend at %s" % link.endpoint
	_last_error = "%s (retrying in %s s)" % [why, String.num(link.backoff_s, 2)]
	link.backoff_s = minf(link.backoff_s * 2.0, BACKOFF_MAX_S)
	# One signal per run of refusals; a different failure (backend gone) ends the run.
	_refused = link.socket.is_refused()
	if not _refused:
		_refusal_reported = false
	elif not _refusal_reported:
		_refusal_reported = true
		connection_refused.emit(why)


func _drain_replies() -> void:
	while true:
		var frames: Array = _control.socket.receive()
		if frames.is_empty():
			return
		# A DEALER gets the ROUTER's reply without envelope; the body is the last frame.
		var decoded: Dictionary = VaeStudioMsgpack.decode(frames[frames.size() - 1])
		var reply: Variant = decoded.get("value")
		if not decoded["ok"] or not reply is Dictionary:
			push_warning("VaeStudioClient: ignored an unreadable reply: %s" % decoded.get("error"))
			continue
		var id: Variant = (reply as Dictionary).get("id")
		if id is int and _pending.has(id):
			var req: VaeStudioRequest = _pending[id]
			_pending.erase(id)
			_finish(req, reply)
		elif id == null:
			push_warning("VaeStudioClient: backend error without id: %s" % str(reply.get("error")))


func _drain_streams() -> void:
	var newest: Dictionary = {}
	while true:
		var frames: Array = _stream.socket.receive()
		if frames.is_empty():
			break
		if frames.size() != 2:
			stream_messages_malformed += 1
			continue
		var topic: String = (frames[0] as PackedByteArray).get_string_from_ascii()
		if newest.has(topic):
			stream_messages_dropped += 1
		newest[topic] = frames[1]
	# Only the newest body of each topic is decoded: older ones would be drawn over anyway.
	for topic: String in newest:
		var decoded: Dictionary = VaeStudioMsgpack.decode(newest[topic])
		if decoded["ok"] and decoded["value"] is Dictionary:
			stream_received.emit(topic, decoded["value"])
		else:
			stream_messages_malformed += 1


func _expire_requests() -> void:
	if _pending.is_empty():
		return
	var now: int = Time.get_ticks_msec()
	for id: int in _pending.keys():
		var req: VaeStudioRequest = _pending[id]
		if now >= req.deadline_ms:
			_pending.erase(id)
			var message: String = (
				"no reply to '%s' within %s s" % [req.op, String.num(request_timeout_s, 2)]
			)
			_finish(req, VaeStudioRequest.failure(id, "timeout", message))


func _update_connected() -> void:
	var now_connected: bool = _control.socket.is_ready()
	if _stream != null:
		now_connected = now_connected and _stream.socket.is_ready()
	if now_connected != _connected:
		_connected = now_connected
		if now_connected:
			_last_error = ""
			_refused = false
			_refusal_reported = false
		connection_changed.emit(now_connected)


func _fail_all_pending(code: String, message: String) -> void:
	var failed: Array = _pending.values()
	_pending.clear()
	for req: VaeStudioRequest in failed:
		_finish_later(req, code, message)


## Finishes a request on the next idle step, so a caller that is about to await it can.
func _finish_later(req: VaeStudioRequest, code: String, message: String) -> void:
	_finish.call_deferred(req, VaeStudioRequest.failure(req.id, code, message))


func _finish(req: VaeStudioRequest, reply: Dictionary) -> void:
	if req.finish(reply):
		request_finished.emit(req)
