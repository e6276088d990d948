class_name VaeStudioZmtpSocket
extends RefCounted
## One ZeroMQ connection (ZMTP 3.1, NULL or PLAIN mechanism) over StreamPeerTCP, in pure GDScript.
##
## Plays a DEALER (talks to a ROUTER) or a SUB (listens to a PUB). Call [method poll] every frame
## from _process: it never blocks, it reads what the OS has, parses frames and writes what it can.
## The protocol core ([method feed] / [method take_output]) works without TCP, so tests can drive
## it byte by byte. A connection that fails stays FAILED; the owner reconnects (with backoff).
##
## Wire facts (RFC 37/ZMTP 3.1): 64-byte greeting each way, then READY commands carrying
## Socket-Type and Identity, then frames: flags (MORE 1, LONG 2, COMMAND 4), size (1 byte or 8
## bytes big-endian), body. Application frames go out only after the peer's READY has arrived,
## because libzmq's ROUTER drops a message that shares a TCP write with the handshake.
##
## PLAIN (RFC 24): set [member plain_username] and [member plain_password] before connecting.
## After the greetings we send HELLO(username, password), the server answers WELCOME, we send
## INITIATE (the metadata READY would carry) and the server answers READY; a refused password
## gets ERROR and a closed connection instead, reported by [method is_refused]. PLAIN is
## cleartext: it keeps strangers out, it does not hide the traffic.

enum State { CLOSED, CONNECTING, HANDSHAKING, READY, FAILED }

const FLAG_MORE: int = 0x01
const FLAG_LONG: int = 0x02
const FLAG_COMMAND: int = 0x04
const GREETING_SIZE: int = 64
## PLAIN carries each credential's length in one octet.
const MAX_CREDENTIAL_BYTES: int = 255
## How libzmq 4.3.5 begins ERROR (seen on the wire: 5E "RROR" instead of 05 "ERROR").
const LIBZMQ_4_3_ERROR: PackedByteArray = [0x5e, 0x52, 0x52, 0x4f, 0x52]
## Default cap on one frame: a broken or hostile peer cannot make us buffer more than this.
const DEFAULT_MAX_FRAME_SIZE: int = 64 * 1024 * 1024
const CONNECT_TIMEOUT_MS: int = 3000
const HANDSHAKE_TIMEOUT_MS: int = 3000
## Bytes read per poll at most, so a flood cannot stall one frame; the rest waits for the next.
const READ_BUDGET: int = 16 * 1024 * 1024
## Peers each socket type may talk to (as libzmq allows).
const COMPATIBLE_PEERS: Dictionary = {
	"DEALER": ["ROUTER", "DEALER", "REP"],
	"SUB": ["PUB", "XPUB"],
}

var socket_type: String
var max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
## Metadata from the peer's READY, names lower-cased (e.g. "socket-type": "ROUTER").
var peer_metadata: Dictionary = {}
var endpoint: String = ""
## PLAIN credentials; both empty means the NULL mechanism. Used from the next handshake on.
var plain_username: String = ""
var plain_password: String = ""

var _tcp: StreamPeerTCP = null
var _state: State = State.CLOSED
var _error: String = ""
var _refused: bool = false
## The mechanism of the handshake in progress ("NULL" or "PLAIN"), fixed when it starts.
var _mechanism: String = "NULL"
var _welcomed: bool = false
var _state_since_ms: int = 0
var _in: PackedByteArray = PackedByteArray()
var _in_pos: int = 0
var _out: PackedByteArray = PackedByteArray()
var _greeting_received: bool = false
var _peer_minor: int = 0
var _frames: Array[PackedByteArray] = []
var _messages: Array = []
var _subscriptions: PackedStringArray = []


func _init(type: String = "DEALER") -> void:
	socket_type = type.to_upper()
	assert(COMPATIBLE_PEERS.has(socket_type), "socket type must be DEALER or SUB")


## Splits "tcp://HOST:PORT" into {"ok": true, "host": .., "port": ..} or {"ok": false, "error": ..}.
static func parse_endpoint(text: String) -> Dictionary:
	var bad: Dictionary = {
		"ok": false,
		"error": "endpoint '%s' is not tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555)" % text
	}
	if not text.begins_with("tcp://"):
		return bad
	var rest: String = text.trim_prefix("tcp://")
	var colon: int = rest.rfind(":")
	if colon <= 0:
		return bad
	var host: String = rest.substr(0, colon)
	var port_text: String = rest.substr(colon + 1)
	if host.begins_with("[") and host.ends_with("]"):
		host = host.substr(1, host.length() - 2)
	if host.is_empty() or host == "*" or not port_text.is_valid_int():
		return bad
	var port: int = port_text.to_int()
	if port < 1 or port > 65535:
		return bad
	return {"ok": true, "host": host, "port": port}


## The 64-byte greeting we send: ZMTP 3.1, [param mechanism] ("NULL" or "PLAIN"), not as-server.
static func greeting(mechanism_name: String = "NULL") -> PackedByteArray:
	var g := PackedByteArray()
	g.resize(GREETING_SIZE)
	g.fill(0)
	g[0] = 0xff
	g[8] = 0x01
	g[9] = 0x7f
	g[10] = 3
	g[11] = 1
	var mechanism: PackedByteArray = mechanism_name.to_ascii_buffer()
	for i: int in mechanism.size():
		g[12 + i] = mechanism[i]
	return g


## One frame: short form up to 255 bytes, long form (8-byte big-endian size) above.
static func encode_frame(
	body: PackedByteArray, more: bool = false, command: bool = false
) -> PackedByteArray:
	var flags: int = (FLAG_MORE if more else 0) | (FLAG_COMMAND if command else 0)
	var n: int = body.size()
	var head := PackedByteArray()
	if n <= 255:
		head.append(flags)
		head.append(n)
	else:
		head.append(flags | FLAG_LONG)
		for shift: int in [56, 48, 40, 32, 24, 16, 8, 0]:
			head.append((n >> shift) & 0xff)
	head.append_array(body)
	return head


## A command frame: name length, name, data.
static func encode_command(
	name: String, data: PackedByteArray = PackedByteArray()
) -> PackedByteArray:
	var body := PackedByteArray([name.length()])
	body.append_array(name.to_ascii_buffer())
	body.append_array(data)
	return encode_frame(body, false, true)


## READY with Socket-Type and an empty Identity.
static func encode_ready(type: String) -> PackedByteArray:
	return encode_command("READY", encode_metadata(type))


## PLAIN: INITIATE carries the same metadata as READY.
static func encode_initiate(type: String) -> PackedByteArray:
	return encode_command("INITIATE", encode_metadata(type))


## PLAIN: HELLO with a length octet before each of username and password (UTF-8, <= 255 bytes).
static func encode_hello(username: String, password: String) -> PackedByteArray:
	var data := PackedByteArray()
	for text: String in [username, password]:
		var bytes: PackedByteArray = text.to_utf8_buffer()
		data.append(bytes.size())
		data.append_array(bytes)
	return encode_command("HELLO", data)


## Metadata properties Socket-Type and (empty) Identity: name_len name value_len (u32 BE) value.
static func encode_metadata(type: String) -> PackedByteArray:
	var data := PackedByteArray()
	for pair: Array in [["Socket-Type", type.to_ascii_buffer()], ["Identity", PackedByteArray()]]:
		var name: String = pair[0]
		var value: PackedByteArray = pair[1]
		data.append(name.length())
		data.append_array(name.to_ascii_buffer())
		var n: int = value.size()
		data.append_array(
			PackedByteArray([(n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
		)
		data.append_array(value)
	return data


## Parses READY metadata into {lower-case name: PackedByteArray}; null when malformed.
static func parse_metadata(data: PackedByteArray) -> Variant:
	var out: Dictionary = {}
	var i: int = 0
	while i < data.size():
		var name_len: int = data[i]
		if name_len == 0 or i + 1 + name_len + 4 > data.size():
			return null
		var name: String = data.slice(i + 1, i + 1 + name_len).get_string_from_ascii().to_lower()
		i += 1 + name_len
		var value_len: int = (
			(data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]
		)
		i += 4
		if i + value_len > data.size():
			return null
		out[name] = data.slice(i, i + value_len)
		i += value_len
	return out


## Starts a TCP connection to [param to] ("tcp://HOST:PORT"); the handshake runs in [method poll].
func connect_to(to: String) -> Error:
	close()
	endpoint = to
	var parsed: Dictionary = parse_endpoint(to)
	if not parsed["ok"]:
		_fail(parsed["error"])
		return ERR_INVALID_PARAMETER
	_tcp = StreamPeerTCP.new()
	var err: Error = _tcp.connect_to_host(parsed["host"], parsed["port"])
	if err != OK:
		_fail("cannot connect to %s (%s)" % [to, error_string(err)])
		return err
	_set_state(State.CONNECTING)
	return OK


## Drops the connection and everything queued; the socket can connect again afterwards.
func close() -> void:
	if _tcp != null:
		_tcp.disconnect_from_host()
		_tcp = null
	_reset_protocol()
	_error = ""
	_set_state(State.CLOSED)


func get_state() -> State:
	return _state


func is_ready() -> bool:
	return _state == State.READY


## "PLAIN" when credentials are set, else "NULL".
func mechanism() -> String:
	return "PLAIN" if plain_username != "" or plain_password != "" else "NULL"


## True when the last failure was the peer refusing us: an ERROR command during the handshake,
## a mismatched security mechanism (token on one side only), or a close during PLAIN.
func is_refused() -> bool:
	return _refused


## Why the socket failed, as a sentence ("" while healthy).
func get_error() -> String:
	return _error


## Drives the connection: TCP status, reads, parsing, writes. Call once per frame.
func poll() -> void:
	if _tcp == null or _state == State.CLOSED or _state == State.FAILED:
		return
	_tcp.poll()
	var status: StreamPeerTCP.Status = _tcp.get_status()
	if status == StreamPeerTCP.STATUS_CONNECTING:
		if Time.get_ticks_msec() - _state_since_ms > CONNECT_TIMEOUT_MS:
			_fail("no answer from %s" % endpoint)
		return
	if status != StreamPeerTCP.STATUS_CONNECTED:
		if _state == State.HANDSHAKING and _closed_as_refusal():
			return
		var was_up: bool = _state != State.CONNECTING
		_fail(("connection to %s lost" if was_up else "nothing listens at %s") % endpoint)
		return
	if _state == State.CONNECTING:
		_tcp.set_no_delay(true)
		start_handshake()
	_read_available()
	if (
		_state == State.HANDSHAKING
		and Time.get_ticks_msec() - _state_since_ms > HANDSHAKE_TIMEOUT_MS
	):
		_fail("%s accepted TCP but did not complete a ZMTP handshake" % endpoint)
	_flush()


## Queues one message (a list of frames) for the peer. Only a READY DEALER sends messages.
func send_message(frames: Array) -> Error:
	if _state != State.READY:
		return ERR_UNAVAILABLE
	if socket_type != "DEALER" or frames.is_empty():
		return ERR_INVALID_PARAMETER
	for i: int in frames.size():
		_out.append_array(encode_frame(frames[i], i < frames.size() - 1))
	_flush()
	return OK


## SUB: receive messages whose first frame starts with [param topic] ("" = everything).
## Subscriptions survive reconnects: they are sent again after every handshake.
func subscribe(topic: String) -> void:
	if topic in _subscriptions:
		return
	_subscriptions.append(topic)
	if _state == State.READY:
		_send_subscription(topic, true)
		_flush()


func unsubscribe(topic: String) -> void:
	var i: int = _subscriptions.find(topic)
	if i < 0:
		return
	_subscriptions.remove_at(i)
	if _state == State.READY:
		_send_subscription(topic, false)
		_flush()


## The oldest complete message as an Array of PackedByteArray frames, or [] when none is queued.
func receive() -> Array:
	if _messages.is_empty():
		return []
	return _messages.pop_front()


func pending_messages() -> int:
	return _messages.size()


## Begins the ZMTP handshake by queueing our greeting alone. [method poll] calls this once TCP is
## up; tests call it directly and exchange bytes through [method feed] and [method take_output].
func start_handshake() -> void:
	_reset_protocol()
	_mechanism = mechanism()
	_set_state(State.HANDSHAKING)
	for credential: String in [plain_username, plain_password]:
		if _mechanism == "PLAIN" and credential.to_utf8_buffer().size() > MAX_CREDENTIAL_BYTES:
			_fail("a PLAIN username or token is at most %d bytes of UTF-8" % MAX_CREDENTIAL_BYTES)
			return
	_out.append_array(greeting(_mechanism))


## Processes bytes received from the peer.
func feed(bytes: PackedByteArray) -> void:
	if _state != State.HANDSHAKING and _state != State.READY:
		return
	_in.append_array(bytes)
	while _state == State.HANDSHAKING or _state == State.READY:
		if not _parse_one():
			break
	# Drop consumed bytes now and then instead of after every frame (slicing copies).
	if _in_pos >= _in.size():
		_in = PackedByteArray()
		_in_pos = 0
	elif _in_pos > 65536:
		_in = _in.slice(_in_pos)
		_in_pos = 0


## Takes the bytes waiting to go to the peer (used by tests instead of TCP).
func take_output() -> PackedByteArray:
	var out: PackedByteArray = _out
	_out = PackedByteArray()
	return out


## Parses one greeting or frame from the input; false when more bytes are needed or on error.
func _parse_one() -> bool:
	var avail: int = _in.size() - _in_pos
	if not _greeting_received:
		return _parse_greeting()
	if avail < 2:
		return false
	var flags: int = _in[_in_pos]
	var head: int = 9 if flags & FLAG_LONG else 2
	if avail < head:
		return false
	var size: int = _frame_size(flags)
	if size < 0 or avail < head + size:
		return false
	var body: PackedByteArray = _in.slice(_in_pos + head, _in_pos + head + size)
	_in_pos += head + size
	if flags & FLAG_COMMAND:
		_handle_command(body, flags)
	else:
		_handle_frame(body, flags & FLAG_MORE != 0)
	return true


## Size of the frame whose header starts at the read position (header bytes must be in);
## -1 after failing the socket for reserved flag bits or a size above [member max_frame_size].
func _frame_size(flags: int) -> int:
	if flags & ~(FLAG_MORE | FLAG_LONG | FLAG_COMMAND) != 0:
		_fail("%s sent a frame with reserved flag bits 0x%02x" % [_peer_name(), flags])
		return -1
	var size: int = _in[_in_pos + 1]
	if flags & FLAG_LONG:
		size = 0
		for i: int in 8:
			size = (size << 8) | _in[_in_pos + 1 + i]
	# A size with the top bit set reads negative here: refuse it with the oversized ones.
	if size < 0 or size > max_frame_size:
		_fail("%s sent a frame larger than the %d-byte limit" % [_peer_name(), max_frame_size])
		return -1
	return size


## Consumes the peer's greeting once all 64 bytes are in; false while waiting or on error.
func _parse_greeting() -> bool:
	var avail: int = _in.size() - _in_pos
	# Reject a non-ZMTP peer on its first byte instead of waiting for 64.
	if avail >= 1 and _in[_in_pos] != 0xff:
		_fail("%s is not a ZeroMQ peer (bad greeting)" % _peer_name())
		return false
	if avail < GREETING_SIZE:
		return false
	var g: PackedByteArray = _in.slice(_in_pos, _in_pos + GREETING_SIZE)
	_in_pos += GREETING_SIZE
	# Bytes 1-8 are padding and not significant; byte 9 bit 0 marks ZMTP 3+ framing.
	if g[9] & 0x01 == 0 or g[10] < 3:
		_fail("%s speaks ZMTP %d, not 3.x" % [_peer_name(), g[10]])
		return false
	var peer_mechanism: String = g.slice(12, 32).get_string_from_ascii()
	if peer_mechanism != _mechanism:
		_mechanism_mismatch(peer_mechanism)
		return false
	_greeting_received = true
	_peer_minor = g[11] if g[10] == 3 else 1
	if _mechanism == "PLAIN":
		_out.append_array(encode_hello(plain_username, plain_password))
	else:
		_out.append_array(encode_ready(socket_type))
	return true


## A close in the middle of the handshake is libzmq refusing us: it stops in its greeting (at
## times before we have read any of it) when our mechanism is not its own, and closes after
## ERROR for a wrong token. True when the close was reported that way.
func _closed_as_refusal() -> bool:
	if _greeting_received and _mechanism == "PLAIN":
		_refuse("%s closed the connection during the PLAIN handshake" % endpoint)
		return true
	if _greeting_received:
		return false
	if _mechanism == "NULL":
		_refuse("%s closed the connection in its greeting: it probably wants a token" % endpoint)
	else:
		_refuse("%s closed the connection in its greeting: it probably takes no token" % endpoint)
	return true


## Both sides must use the same mechanism; a token on one side only is a refusal to report.
func _mechanism_mismatch(peer_mechanism: String) -> void:
	if peer_mechanism == "PLAIN" and _mechanism == "NULL":
		_refuse("%s wants a token (PLAIN security) and none was given" % _peer_name())
	elif peer_mechanism == "NULL" and _mechanism == "PLAIN":
		_refuse("%s takes no token (NULL security) but one was given" % _peer_name())
	else:
		_fail(
			(
				"%s wants security mechanism '%s'; only NULL and PLAIN are supported"
				% [_peer_name(), peer_mechanism]
			)
		)


func _handle_command(body: PackedByteArray, flags: int) -> void:
	if body.slice(0, 5) == LIBZMQ_4_3_ERROR:
		# The ERROR as libzmq 4.3 sends it: the "\x05E" of its "\x05ERROR" is one hex escape.
		body = PackedByteArray([5]) + "ERROR".to_ascii_buffer() + body.slice(5)
	if flags & FLAG_MORE or body.is_empty() or body[0] + 1 > body.size():
		_fail("%s sent a malformed command" % _peer_name())
		return
	var name: String = body.slice(1, 1 + body[0]).get_string_from_ascii()
	var data: PackedByteArray = body.slice(1 + body[0])
	match name:
		"READY":
			_handle_ready(data)
		"WELCOME":
			_handle_welcome()
		"ERROR":
			var reason: String = ""
			if data.size() >= 1 and data[0] + 1 <= data.size():
				reason = data.slice(1, 1 + data[0]).get_string_from_utf8()
			if _state == State.HANDSHAKING and _mechanism == "PLAIN":
				_refuse("%s refused the token (ZMTP ERROR '%s')" % [_peer_name(), reason])
			elif _state == State.HANDSHAKING:
				_refuse("%s refused the connection (ZMTP ERROR '%s')" % [_peer_name(), reason])
			else:
				_fail("%s refused the connection: %s" % [_peer_name(), reason])
		"PING":
			# PING = ttl (2 bytes) + context; PONG echoes the context.
			if data.size() >= 2:
				_out.append_array(encode_command("PONG", data.slice(2, 2 + 16)))
		_:
			pass  # PONG, SUBSCRIBE/CANCEL (meant for publishers) and unknown commands.


## PLAIN: the server accepted HELLO; answer with INITIATE and wait for its READY.
func _handle_welcome() -> void:
	if _mechanism != "PLAIN" or _welcomed or _state != State.HANDSHAKING:
		_fail("%s sent WELCOME out of turn" % _peer_name())
		return
	_welcomed = true
	_out.append_array(encode_initiate(socket_type))


func _handle_ready(data: PackedByteArray) -> void:
	if _state == State.READY:
		_fail("%s sent READY twice" % _peer_name())
		return
	if _mechanism == "PLAIN" and not _welcomed:
		_fail("%s sent READY before WELCOME" % _peer_name())
		return
	var meta: Variant = parse_metadata(data)
	if meta == null:
		_fail("%s sent malformed READY metadata" % _peer_name())
		return
	peer_metadata = meta
	var peer_type: String = (
		(meta as Dictionary).get("socket-type", PackedByteArray()).get_string_from_ascii()
	)
	if not peer_type.to_upper() in COMPATIBLE_PEERS[socket_type]:
		_fail(
			(
				"%s is a %s socket; a %s needs one of %s"
				% [_peer_name(), peer_type, socket_type, ", ".join(COMPATIBLE_PEERS[socket_type])]
			)
		)
		return
	_set_state(State.READY)
	for topic: String in _subscriptions:
		_send_subscription(topic, true)


func _handle_frame(body: PackedByteArray, more: bool) -> void:
	if _state != State.READY:
		_fail("%s sent a message before READY" % _peer_name())
		return
	_frames.append(body)
	if not more:
		_messages.append(_frames)
		_frames = []


func _send_subscription(topic: String, on: bool) -> void:
	var bytes: PackedByteArray = topic.to_utf8_buffer()
	if _peer_minor >= 1:
		_out.append_array(encode_command("SUBSCRIBE" if on else "CANCEL", bytes))
	else:
		# ZMTP 3.0 peers take a message: 0x01 (subscribe) or 0x00 (cancel), then the topic.
		var body := PackedByteArray([1 if on else 0])
		body.append_array(bytes)
		_out.append_array(encode_frame(body))


func _read_available() -> void:
	var budget: int = READ_BUDGET
	while budget > 0 and _tcp != null and _state != State.FAILED:
		var n: int = mini(_tcp.get_available_bytes(), budget)
		if n <= 0:
			return
		var got: Array = _tcp.get_partial_data(n)
		if got[0] != OK:
			_fail("connection to %s lost while reading" % endpoint)
			return
		var chunk: PackedByteArray = got[1]
		if chunk.is_empty():
			return
		budget -= chunk.size()
		feed(chunk)


func _flush() -> void:
	if _tcp == null or _out.is_empty() or _tcp.get_status() != StreamPeerTCP.STATUS_CONNECTED:
		return
	var sent: Array = _tcp.put_partial_data(_out)
	if sent[0] != OK and sent[0] != ERR_BUSY:
		_fail("connection to %s lost while writing" % endpoint)
		return
	var n: int = sent[1]
	_out = PackedByteArray() if n >= _out.size() else _out.slice(n)


## Fails the socket as a refusal by the peer (see [method is_refused]).
func _refuse(message: String) -> void:
	if _state == State.FAILED:
		return
	_refused = true
	_fail(message)


func _fail(message: String) -> void:
	if _state == State.FAILED:
		return
	_error = message
	if _tcp != null:
		_tcp.disconnect_from_host()
	# Complete messages already received stay readable: a reply may arrive just before a close.
	_in = PackedByteArray()
	_in_pos = 0
	_out = PackedByteArray()
	_frames = []
	_set_state(State.FAILED)


func _reset_protocol() -> void:
	_in = PackedByteArray()
	_in_pos = 0
	_out = PackedByteArray()
	_greeting_received = false
	_welcomed = false
	_refused = false
	_peer_minor = 0
	_frames = []
	_messages = []
	peer_metadata = {}


func _set_state(state: State) -> void:
	_state = state
	_state_since_ms = Time.get_ticks_msec()


func _peer_name() -> String:
	return endpoint if endpoint != "" else "the peer"
