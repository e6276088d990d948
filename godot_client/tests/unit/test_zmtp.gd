extends "res://tests/test_case.gd"
## VaeStudioZmtpSocket protocol core, driven through feed()/take_output() without TCP.

const Zmtp = preload("res://addons/vaestudio/zmtp_socket.gd")

var router_ready_hex: String = Zmtp.encode_ready("ROUTER").hex_encode()


## A libzmq-like peer greeting: padding 00..01, version 3.1 (or [param minor]), NULL, and
## as-server 0 even from a PLAIN server (libzmq 4.3 never sets it).
static func peer_greeting(minor: int = 1, mechanism: String = "NULL") -> PackedByteArray:
	var g := PackedByteArray()
	g.resize(64)
	g.fill(0)
	g[0] = 0xff
	g[8] = 1
	g[9] = 0x7f
	g[10] = 3
	g[11] = minor
	var m: PackedByteArray = mechanism.to_ascii_buffer()
	for i: int in m.size():
		g[12 + i] = m[i]
	return g


## A socket past the handshake with a peer of [param peer_type].
func ready_socket(type: String = "DEALER", peer_type: String = "ROUTER") -> Zmtp:
	var s: Zmtp = Zmtp.new(type)
	s.start_handshake()
	s.feed(peer_greeting())
	s.feed(Zmtp.encode_ready(peer_type))
	s.take_output()
	check_eq(s.get_state(), Zmtp.State.READY, "%s handshake with %s" % [type, peer_type])
	return s


func test_greeting_layout() -> void:
	var g: PackedByteArray = Zmtp.greeting()
	check_eq(g.size(), 64, "greeting size")
	check_eq(g.slice(0, 12).hex_encode(), "ff00000000000000017f0301", "signature and version")
	check_eq(g.slice(12, 32).get_string_from_ascii(), "NULL", "mechanism")
	check_eq(g[32], 0, "as-server")


func test_ready_encoding_matches_rfc_example() -> void:
	var ready: PackedByteArray = Zmtp.encode_ready("DEALER")
	var expected: String = (
		"0429"
		+ "05"
		+ "READY".to_ascii_buffer().hex_encode()
		+ "0b"
		+ "Socket-Type".to_ascii_buffer().hex_encode()
		+ "00000006"
		+ "DEALER".to_ascii_buffer().hex_encode()
		+ "08"
		+ "Identity".to_ascii_buffer().hex_encode()
		+ "00000000"
	)
	check_eq(ready.hex_encode(), expected, "DEALER READY bytes")
	var meta: Variant = Zmtp.parse_metadata(ready.slice(2 + 6))
	check_eq(
		meta, {"socket-type": "DEALER".to_ascii_buffer(), "identity": PackedByteArray()}, "meta"
	)
	check_eq(Zmtp.parse_metadata(PackedByteArray([5, 65, 66])), null, "truncated metadata")


func test_frame_encoding() -> void:
	check_eq(Zmtp.encode_frame("hi".to_ascii_buffer()).hex_encode(), "00026869", "short last")
	check_eq(Zmtp.encode_frame(PackedByteArray(), true).hex_encode(), "0100", "empty more")
	var big := PackedByteArray()
	big.resize(300)
	var long: PackedByteArray = Zmtp.encode_frame(big, true)
	check_eq(long.slice(0, 9).hex_encode(), "03000000000000012c", "long header with MORE")
	check_eq(long.size(), 309, "long frame size")
	var f255 := PackedByteArray()
	f255.resize(255)
	check_eq(Zmtp.encode_frame(f255)[0], 0, "255 bytes still short")
	check_eq(
		Zmtp.encode_command("SUBSCRIBE", "latent".to_ascii_buffer()).hex_encode(),
		(
			"0410"
			+ "09"
			+ "SUBSCRIBE".to_ascii_buffer().hex_encode()
			+ "latent".to_ascii_buffer().hex_encode()
		),
		"SUBSCRIBE command"
	)


func test_endpoint_parsing() -> void:
	check_eq(
		Zmtp.parse_endpoint("tcp://127.0.0.1:5555"),
		{"ok": true, "host": "127.0.0.1", "port": 5555},
		"ipv4"
	)
	check_eq(Zmtp.parse_endpoint("tcp://[::1]:7").get("host"), "::1", "ipv6")
	for bad: String in [
		"127.0.0.1:5555",
		"tcp://:5555",
		"tcp://h:0",
		"tcp://h:70000",
		"tcp://h:x",
		"ipc://a",
		"tcp://*:5555"
	]:
		var parsed: Dictionary = Zmtp.parse_endpoint(bad)
		check(not parsed["ok"] and str(parsed.get("error")).contains("tcp://"), "reject " + bad)


func test_handshake_sends_greeting_alone_then_ready() -> void:
	var s: Zmtp = Zmtp.new("DEALER")
	s.start_handshake()
	check_eq(s.take_output(), Zmtp.greeting(), "only the greeting goes first")
	check_eq(s.send_message([PackedByteArray([1])]), ERR_UNAVAILABLE, "no sending before READY")
	s.feed(peer_greeting())
	check_eq(s.take_output(), Zmtp.encode_ready("DEALER"), "READY after the peer greeting")
	check_eq(s.get_state(), Zmtp.State.HANDSHAKING, "still handshaking")
	s.feed(router_ready_hex.hex_decode())
	check_eq(s.get_state(), Zmtp.State.READY, "ready after the peer READY")
	check_eq(s.peer_metadata.get("socket-type"), "ROUTER".to_ascii_buffer(), "peer type recorded")
	check_eq(s.send_message([PackedByteArray([7, 8])]), OK, "send when ready")
	check_eq(s.take_output().hex_encode(), "00020708", "one frame")


func test_byte_by_byte_input() -> void:
	var s: Zmtp = Zmtp.new("DEALER")
	s.start_handshake()
	var stream := PackedByteArray()
	stream.append_array(peer_greeting(3))  # a higher minor version is fine
	stream.append_array(router_ready_hex.hex_decode())
	var big := PackedByteArray()
	big.resize(1000)
	for i: int in big.size():
		big[i] = i % 256
	stream.append_array(Zmtp.encode_frame("part1".to_ascii_buffer(), true))
	stream.append_array(Zmtp.encode_frame(big))
	stream.append_array(Zmtp.encode_command("PING", PackedByteArray([0, 10, 0xab, 0xcd])))
	stream.append_array(Zmtp.encode_frame(PackedByteArray()))
	for i: int in stream.size():
		s.feed(stream.slice(i, i + 1))
	check_eq(s.get_state(), Zmtp.State.READY, "ready after byte-by-byte handshake")
	check_eq(s.pending_messages(), 2, "two messages")
	check_eq(s.receive(), ["part1".to_ascii_buffer(), big], "multipart message with a long frame")
	check_eq(s.receive(), [PackedByteArray()], "empty message")
	check_eq(s.receive(), [], "queue empty")
	var out: PackedByteArray = s.take_output()
	var pong: PackedByteArray = Zmtp.encode_command("PONG", PackedByteArray([0xab, 0xcd]))
	check(out.hex_encode().ends_with(pong.hex_encode()), "PING answered with PONG + context")


func test_sub_subscribes_after_handshake_and_again_on_reconnect() -> void:
	var s: Zmtp = Zmtp.new("SUB")
	s.subscribe("metrics")
	s.subscribe("latent")
	s.subscribe("latent")
	var sub_metrics: PackedByteArray = Zmtp.encode_command("SUBSCRIBE", "metrics".to_ascii_buffer())
	var sub_latent: PackedByteArray = Zmtp.encode_command("SUBSCRIBE", "latent".to_ascii_buffer())
	for round: int in 2:
		s.start_handshake()
		s.take_output()
		s.feed(peer_greeting())
		s.feed(Zmtp.encode_ready("PUB"))
		var out: PackedByteArray = s.take_output()
		var expected := Zmtp.encode_ready("SUB")
		expected.append_array(sub_metrics)
		expected.append_array(sub_latent)
		check_eq(out, expected, "READY then one SUBSCRIBE per topic (round %d)" % round)
	s.unsubscribe("latent")
	check_eq(
		s.take_output(),
		Zmtp.encode_command("CANCEL", "latent".to_ascii_buffer()),
		"CANCEL on unsubscribe"
	)
	check_eq(s.send_message([PackedByteArray([1])]), ERR_INVALID_PARAMETER, "a SUB does not send")


func test_zmtp30_peer_gets_subscription_messages() -> void:
	var s: Zmtp = Zmtp.new("SUB")
	s.subscribe("log")
	s.start_handshake()
	s.take_output()
	s.feed(peer_greeting(0))
	s.feed(Zmtp.encode_ready("PUB"))
	var out: PackedByteArray = s.take_output()
	check(out.hex_encode().ends_with("0004016c6f67"), "3.0 subscription message 0x01 + topic")


func test_stream_messages_arrive_in_order() -> void:
	var s: Zmtp = ready_socket("SUB", "PUB")
	var bytes := PackedByteArray()
	for i: int in 5:
		bytes.append_array(Zmtp.encode_frame("metrics".to_ascii_buffer(), true))
		bytes.append_array(Zmtp.encode_frame(PackedByteArray([i])))
	s.feed(bytes)
	for i: int in 5:
		check_eq(s.receive(), ["metrics".to_ascii_buffer(), PackedByteArray([i])], "message %d" % i)


func test_malformed_input_fails_cleanly() -> void:
	var bad_greetings: Dictionary = {
		"HTTP peer": "GET / HTTP/1.1\r\n".to_ascii_buffer(),
		"ZMTP 2": _patched_greeting(10, 1),
		"no 0x7f": _patched_greeting(9, 0x7e),
		"PLAIN": peer_greeting(1, "PLAIN"),
	}
	for what: String in bad_greetings:
		var s: Zmtp = Zmtp.new("DEALER")
		s.start_handshake()
		s.feed(bad_greetings[what])
		check_eq(s.get_state(), Zmtp.State.FAILED, what + " rejected")
		check(s.get_error().length() > 10, what + " explained: " + s.get_error())
	var after_ready: Dictionary = {
		"reserved flag bits": "0801ff",
		"frame over the size limit": "02" + "0000000100000000",
		"negative long size": "02" + "ffffffffffffffff",
		"command with MORE": "0501" + "00",
		"command name past the end": "040109",
		"ERROR command":
		(
			"040b"
			+ "05"
			+ "ERROR".to_ascii_buffer().hex_encode()
			+ "04"
			+ "nope".to_ascii_buffer().hex_encode()
		),
		"second READY": router_ready_hex,
	}
	for what: String in after_ready:
		var s: Zmtp = ready_socket()
		s.feed(str(after_ready[what]).hex_decode())
		check_eq(s.get_state(), Zmtp.State.FAILED, what + " rejected")
	var early: Zmtp = Zmtp.new("DEALER")
	early.start_handshake()
	early.feed(peer_greeting())
	early.feed(Zmtp.encode_frame(PackedByteArray([1])))
	check_eq(early.get_state(), Zmtp.State.FAILED, "message before READY rejected")
	var wrong: Zmtp = Zmtp.new("SUB")
	wrong.start_handshake()
	wrong.feed(peer_greeting())
	wrong.feed(Zmtp.encode_ready("ROUTER"))
	check_eq(wrong.get_state(), Zmtp.State.FAILED, "SUB refuses a ROUTER")
	check(wrong.get_error().contains("ROUTER"), "mismatch explained: " + wrong.get_error())


func test_custom_frame_limit() -> void:
	var s: Zmtp = ready_socket()
	s.max_frame_size = 100
	var ok := PackedByteArray()
	ok.resize(100)
	s.feed(Zmtp.encode_frame(ok))
	check_eq(s.pending_messages(), 1, "frame at the limit accepted")
	var big := PackedByteArray()
	big.resize(101)
	s.feed(Zmtp.encode_frame(big).slice(0, 9))
	check_eq(s.get_state(), Zmtp.State.FAILED, "refused from the header, before the body arrives")


func test_random_garbage_after_handshake_never_crashes() -> void:
	var rng := RandomNumberGenerator.new()
	rng.seed = 99
	for i: int in 300:
		var s: Zmtp = ready_socket()
		var junk := PackedByteArray()
		junk.resize(rng.randi_range(1, 64))
		for j: int in junk.size():
			junk[j] = rng.randi_range(0, 255)
		s.feed(junk)
		check(s.get_state() in [Zmtp.State.READY, Zmtp.State.FAILED], "state stays sane")


func test_connect_to_rejects_bad_endpoint() -> void:
	var s: Zmtp = Zmtp.new("DEALER")
	check_eq(s.connect_to("localhost:5555"), ERR_INVALID_PARAMETER, "missing scheme")
	check_eq(s.get_state(), Zmtp.State.FAILED, "failed state")
	s.close()
	check_eq(s.get_state(), Zmtp.State.CLOSED, "close resets")


func _patched_greeting(index: int, value: int) -> PackedByteArray:
	var g: PackedByteArray = peer_greeting()
	g[index] = value
	return g
