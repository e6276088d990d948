extends "res://tests/test_case.gd"
## VaeStudioZmtpSocket's PLAIN mechanism (RFC 24) as a client, byte by byte, without TCP:
## HELLO -> WELCOME -> INITIATE -> READY, refusals (ERROR, mechanism mismatch) and misorders.

const Zmtp = preload("res://addons/vaestudio/zmtp_socket.gd")
const ZmtpTests = preload("res://tests/unit/test_zmtp.gd")

var router_ready_hex: String = Zmtp.encode_ready("ROUTER").hex_encode()


static func peer_greeting(minor: int = 1, mechanism: String = "NULL") -> PackedByteArray:
	return ZmtpTests.peer_greeting(minor, mechanism)


## A DEALER (or [param type]) with the VAE Studio PLAIN credentials, greeted by a PLAIN server.
func plain_socket(type: String = "DEALER", password: String = "secret") -> Zmtp:
	var s: Zmtp = Zmtp.new(type)
	s.plain_username = "vaestudio"
	s.plain_password = password
	s.start_handshake()
	return s


func test_plain_handshake_bytes() -> void:
	var s: Zmtp = plain_socket()
	check_eq(s.mechanism(), "PLAIN", "credentials select PLAIN")
	var g: PackedByteArray = s.take_output()
	check_eq(g, Zmtp.greeting("PLAIN"), "PLAIN greeting alone first")
	check_eq(g.slice(12, 32).hex_encode(), "504c41494e" + "00".repeat(15), "PLAIN, NUL-padded")
	check_eq(g[32], 0, "the client greets as-server 0")
	s.feed(peer_greeting(1, "PLAIN"))
	var hello: String = (
		"0417"
		+ "05"
		+ "HELLO".to_ascii_buffer().hex_encode()
		+ "09"
		+ "vaestudio".to_ascii_buffer().hex_encode()
		+ "06"
		+ "secret".to_ascii_buffer().hex_encode()
	)
	check_eq(s.take_output().hex_encode(), hello, "HELLO(username, password) after the greeting")
	check_eq(s.send_message([PackedByteArray([1])]), ERR_UNAVAILABLE, "no message before WELCOME")
	s.feed(("0408" + "07" + "WELCOME".to_ascii_buffer().hex_encode()).hex_decode())
	var initiate: String = (
		"042c"
		+ "08"
		+ "INITIATE".to_ascii_buffer().hex_encode()
		+ "0b"
		+ "Socket-Type".to_ascii_buffer().hex_encode()
		+ "00000006"
		+ "DEALER".to_ascii_buffer().hex_encode()
		+ "08"
		+ "Identity".to_ascii_buffer().hex_encode()
		+ "00000000"
	)
	check_eq(s.take_output().hex_encode(), initiate, "INITIATE with the READY metadata")
	check_eq(s.get_state(), Zmtp.State.HANDSHAKING, "still handshaking until READY")
	check_eq(s.send_message([PackedByteArray([1])]), ERR_UNAVAILABLE, "no message before READY")
	s.feed(router_ready_hex.hex_decode())
	check_eq(s.get_state(), Zmtp.State.READY, "ready after the server's READY")
	check(not s.is_refused(), "not refused")
	check_eq(s.send_message([PackedByteArray([7])]), OK, "send when ready")
	check_eq(s.take_output().hex_encode(), "000107", "one frame")


func test_plain_handshake_byte_by_byte_and_sub_subscribes_after_ready() -> void:
	var s: Zmtp = plain_socket("SUB")
	s.subscribe("metrics")
	s.take_output()
	var stream := PackedByteArray()
	stream.append_array(peer_greeting(1, "PLAIN"))
	stream.append_array(Zmtp.encode_command("WELCOME"))
	stream.append_array(Zmtp.encode_ready("PUB"))
	stream.append_array(Zmtp.encode_frame("metrics".to_ascii_buffer(), true))
	stream.append_array(Zmtp.encode_frame(PackedByteArray([42])))
	for i: int in stream.size():
		s.feed(stream.slice(i, i + 1))
	check_eq(s.get_state(), Zmtp.State.READY, "ready after byte-by-byte PLAIN handshake")
	var expected: PackedByteArray = Zmtp.encode_hello("vaestudio", "secret")
	expected.append_array(Zmtp.encode_initiate("SUB"))
	expected.append_array(Zmtp.encode_command("SUBSCRIBE", "metrics".to_ascii_buffer()))
	check_eq(s.take_output(), expected, "HELLO, INITIATE, then SUBSCRIBE once READY")
	check_eq(s.receive(), ["metrics".to_ascii_buffer(), PackedByteArray([42])], "message")


func test_plain_error_is_a_refusal() -> void:
	var s: Zmtp = plain_socket("DEALER", "wrong")
	s.feed(peer_greeting(1, "PLAIN"))
	s.feed(("040a" + "05" + "ERROR".to_ascii_buffer().hex_encode() + "03" + "343030").hex_decode())
	check_eq(s.get_state(), Zmtp.State.FAILED, "ERROR fails the handshake")
	check(s.is_refused(), "marked as refused")
	check(s.get_error().contains("token") and s.get_error().contains("400"), s.get_error())
	check(not s.get_error().contains("wrong"), "the error does not show the token")
	s.close()
	check(not s.is_refused(), "close clears the refusal")
	# libzmq 4.3.5's own bytes for a refused token: 04 09 5E "RROR" 03 "400".
	var libzmq: Zmtp = plain_socket("DEALER", "wrong")
	libzmq.feed(peer_greeting(1, "PLAIN"))
	libzmq.feed("04095e52524f5203343030".hex_decode())
	check(libzmq.is_refused(), "libzmq's ERROR is a refusal: " + libzmq.get_error())
	check(libzmq.get_error().contains("'400'"), libzmq.get_error())


func test_mechanism_mismatch_is_a_refusal() -> void:
	var null_client: Zmtp = Zmtp.new("DEALER")
	null_client.start_handshake()
	null_client.feed(peer_greeting(1, "PLAIN"))
	check_eq(null_client.get_state(), Zmtp.State.FAILED, "no token against a PLAIN server")
	check(null_client.is_refused(), "refused: " + null_client.get_error())
	check(null_client.get_error().contains("wants a token"), null_client.get_error())
	check_eq(null_client.take_output().size(), 0, "nothing more is sent")
	var plain_client: Zmtp = plain_socket()
	plain_client.take_output()
	plain_client.feed(peer_greeting())
	check_eq(plain_client.get_state(), Zmtp.State.FAILED, "a token against a NULL server")
	check(plain_client.is_refused(), "refused: " + plain_client.get_error())
	check(plain_client.get_error().contains("takes no token"), plain_client.get_error())
	var curve: Zmtp = plain_socket()
	curve.feed(peer_greeting(1, "CURVE"))
	check_eq(curve.get_state(), Zmtp.State.FAILED, "CURVE is not spoken")
	check(not curve.is_refused(), "an unknown mechanism is not a refusal")


func test_plain_out_of_order_commands_fail() -> void:
	var welcome: PackedByteArray = Zmtp.encode_command("WELCOME")
	var cases: Dictionary = {
		"READY before WELCOME": [Zmtp.encode_ready("ROUTER")],
		"WELCOME twice": [welcome, welcome],
		"message before READY": [welcome, Zmtp.encode_frame(PackedByteArray([1]))],
	}
	for what: String in cases:
		var s: Zmtp = plain_socket()
		s.feed(peer_greeting(1, "PLAIN"))
		for bytes: PackedByteArray in cases[what]:
			s.feed(bytes)
		check_eq(s.get_state(), Zmtp.State.FAILED, what + " rejected")
		check(not s.is_refused(), what + " is a protocol error, not a refusal")
	var null_socket: Zmtp = Zmtp.new("DEALER")
	null_socket.start_handshake()
	null_socket.feed(peer_greeting())
	null_socket.feed(welcome)
	check_eq(null_socket.get_state(), Zmtp.State.FAILED, "WELCOME on a NULL connection")


func test_plain_credentials_over_255_bytes_fail_at_once() -> void:
	var s: Zmtp = Zmtp.new("DEALER")
	s.plain_username = "vaestudio"
	s.plain_password = "x".repeat(256)
	s.start_handshake()
	check_eq(s.get_state(), Zmtp.State.FAILED, "too long for a length octet")
	check(s.get_error().contains("255"), s.get_error())
	check_eq(s.take_output().size(), 0, "nothing sent")
