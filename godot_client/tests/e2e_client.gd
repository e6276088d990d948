extends SceneTree
## End-to-end check of the addon against a running backend, headless:
##   godot --headless --path godot_client --script res://tests/e2e_client.gd -- \
##       --control=tcp://127.0.0.1:P --stream=tcp://127.0.0.1:Q --out=/tmp/e2e.json
## Options: --timeout=S (overall, default 60), --bench-requests=N (default 200, 0 skips),
## --restart (after the checks, wait for the backend to go away and come back, then ask status),
## --token=T (ZMTP PLAIN with that token), --expect-refused (only connect, and pass when the
## backend refuses the connection: report "refused", never connected, requests not_connected).
## It asks "status" before connecting (must fail with not_connected), connects with
## VaeStudioClient, calls hello and status, starts training when paused, waits for a metrics and a
## latent message, calls train.pause, status and decode, then prints BENCH lines. What came back
## is written as JSON to --out; it quits 0 when every step worked, 1 otherwise.

const POINTS: int = 10000

var _client: VaeStudioClient
var _opts: Dictionary = {}
var _report: Dictionary = {"steps": [], "errors": []}
var _streams: Dictionary = {}
var _deadline_ms: int = 0


func _initialize() -> void:
	_opts = {
		"timeout": "60",
		"bench-requests": "200",
		"control": "",
		"stream": "",
		"out": "",
		"token": ""
	}
	for arg: String in OS.get_cmdline_user_args():
		var parts: PackedStringArray = arg.trim_prefix("--").split("=", true, 1)
		_opts[parts[0]] = parts[1] if parts.size() > 1 else "true"
	_deadline_ms = Time.get_ticks_msec() + int(float(_opts["timeout"]) * 1000.0)
	_client = VaeStudioClient.new()
	_client.autoconnect = false
	_client.request_timeout_s = 10.0
	_client.token = _opts["token"]
	_client.stream_received.connect(_on_stream_received)
	_client.connection_refused.connect(_on_connection_refused)
	_client.connection_changed.connect(_on_connection_changed)
	root.add_child(_client)
	_run.call_deferred()


func _run() -> void:
	var steps: Array[Callable] = [_step_connect, _step_hello, _step_streams, _step_pause_decode]
	if _opts.has("restart"):
		steps.append(_step_restart)
	if _opts.has("expect-refused"):
		steps = [_step_refused]
		_opts["bench-requests"] = "0"
	var ok: bool = true
	for step: Callable in steps:
		ok = await step.call()
		if not ok:
			break
	if ok and int(_opts["bench-requests"]) > 0:
		await _bench()
	_finish(ok)


## A request before connecting fails (deferred) with not_connected; then the connection comes up.
func _step_connect() -> bool:
	var early: Dictionary = await _client.request("status").finished
	_report["early_status"] = early
	if not _expect(early.get("error", {}).get("code") == "not_connected", "early status fails"):
		return false
	if _client.connect_to_backend(_opts["control"], _opts["stream"]) != OK:
		return _expect(false, "connect_to_backend: " + _client.last_error())
	return await _wait_for(_client.is_backend_connected, "connection")


## The backend turns us away: the refusal is signalled and kept (with the retry), nothing
## connects, and a request fails with not_connected naming the refusal.
func _step_refused() -> bool:
	if _client.connect_to_backend(_opts["control"], _opts["stream"]) != OK:
		return _expect(false, "connect_to_backend: " + _client.last_error())
	var refused: Callable = func() -> bool: return _report.has("refused")
	if not await _wait_for(refused, "connection_refused"):
		return false
	_report["is_refused"] = _client.is_refused()
	_report["last_error"] = _client.last_error()
	var request: Dictionary = await _client.request("status").finished
	_report["status_while_refused"] = request
	# A few more seconds of retrying (backoff up to 2 s) must not connect either.
	var until_ms: int = Time.get_ticks_msec() + 3000
	var waited: Callable = func() -> bool: return Time.get_ticks_msec() >= until_ms
	await _wait_for(waited, "the retries")
	_report["still_refused"] = _client.is_refused()
	return (
		_expect(not _report.has("connected"), "never connected")
		and _expect(request.get("error", {}).get("code") == "not_connected", "not_connected")
	)


## hello and status; a paused backend is started so that the streams flow.
func _step_hello() -> bool:
	var hello: Dictionary = await _call("hello", {"client": "godot-e2e", "protocol": 1})
	var status: Dictionary = await _call("status")
	_report["hello"] = hello
	_report["status_before"] = status
	if hello.is_empty() or status.is_empty():
		return false
	if status.get("state") != "paused":
		return true
	_report["start_op"] = "train.start"
	return not (await _call("train.start")).is_empty()


func _step_streams() -> bool:
	var streams_in: Callable = func() -> bool:
		return _streams.has("metrics") and _streams.has("latent")
	return await _wait_for(streams_in, "a metrics and a latent message")


func _step_pause_decode() -> bool:
	_report["pause"] = await _call("train.pause")
	_report["status"] = await _call("status")
	if _report["pause"].is_empty() or _report["status"].is_empty():
		return false
	var dim: int = int(_report["status"].get("latent_dim", 2))
	var z := PackedFloat32Array()
	z.resize(dim)
	z.fill(0.25)
	var decoded: Dictionary = await _call("decode", {"z": VaeStudioArray.from_float32(z, [1, dim])})
	if decoded.is_empty():
		return false
	_report["decode"] = _describe_images(decoded.get("images"))
	return _expect(_report["decode"].has("width"), "decode gives an image")


## Waits for the backend to go away and come back (the Python side restarts it), then asks status.
func _step_restart() -> bool:
	print("E2E waiting-for-restart")
	var down: Callable = func() -> bool: return not _client.is_backend_connected()
	if not await _wait_for(down, "the backend to go away"):
		return false
	_report["error_while_down"] = _client.last_error()
	print("E2E backend-gone")
	if not await _wait_for(_client.is_backend_connected, "the backend to come back"):
		return false
	var status: Dictionary = await _call("status")
	_report["status_after_restart"] = status
	return not status.is_empty()


func _bench() -> void:
	var bench: Dictionary = {}
	bench["latent_frame_decode_ms"] = _bench_latent_frame()
	bench["image_to_texture_ms"] = _bench_image_texture()
	var rtt: PackedFloat64Array = []
	var dim: int = int(_report["status"].get("latent_dim", 2))
	var rng := RandomNumberGenerator.new()
	for i: int in int(_opts["bench-requests"]):
		var z := PackedFloat32Array()
		for j: int in dim:
			z.append(rng.randf_range(-2.0, 2.0))
		var t0: int = Time.get_ticks_usec()
		var req: VaeStudioRequest = _client.request(
			"decode", {"z": VaeStudioArray.from_float32(z, [1, dim])}
		)
		var reply: Dictionary = await req.finished
		if not reply.get("ok", false):
			_expect(false, "bench decode %d: %s" % [i, reply.get("error")])
			break
		rtt.append((Time.get_ticks_usec() - t0) / 1000.0)
	bench["decode_roundtrip_ms"] = _stats(rtt)
	for key: String in bench:
		var s: Dictionary = bench[key]
		print("BENCH %s p50=%.3f p99=%.3f n=%d" % [key, s["p50"], s["p99"], s["n"]])
	_report["bench"] = bench


## Decoding one latent frame of 10 000 2-D points: msgpack, then the arrays, then positions.
func _bench_latent_frame() -> Dictionary:
	var rng := RandomNumberGenerator.new()
	rng.seed = 7
	var coords := PackedFloat32Array()
	coords.resize(POINTS * 2)
	var labels := PackedInt32Array()
	labels.resize(POINTS)
	var indices := PackedInt32Array()
	indices.resize(POINTS)
	for i: int in POINTS:
		coords[2 * i] = rng.randfn()
		coords[2 * i + 1] = rng.randfn()
		labels[i] = i % 10
		indices[i] = i
	var body: PackedByteArray = (
		VaeStudioMsgpack
		. encode(
			{
				"v": 1,
				"run": "bench",
				"step": 1,
				"coords": VaeStudioArray.from_float32(coords, [POINTS, 2]),
				"indices": VaeStudioArray.from_int32(indices, [POINTS]),
				"labels": VaeStudioArray.from_int32(labels, [POINTS]),
			}
		)
	)
	var times: PackedFloat64Array = []
	for round: int in 60:
		var t0: int = Time.get_ticks_usec()
		var msg: Dictionary = VaeStudioMsgpack.decode(body)["value"]
		var xy: PackedFloat32Array = VaeStudioArray.to_float32(msg["coords"])
		var lab: PackedInt32Array = VaeStudioArray.to_int32(msg["labels"])
		var positions := PackedVector2Array()
		positions.resize(lab.size())
		for i: int in lab.size():
			positions[i] = Vector2(xy[2 * i], xy[2 * i + 1])
		times.append((Time.get_ticks_usec() - t0) / 1000.0)
	return _stats(times)


## A 64x64 u8 image from the wire into a texture (create once, then update, as a view would).
func _bench_image_texture() -> Dictionary:
	var pixels := PackedByteArray()
	pixels.resize(64 * 64)
	for i: int in pixels.size():
		pixels[i] = i % 256
	var arr: Dictionary = {"dtype": "u8", "shape": [1, 64, 64], "data": pixels}
	var texture: ImageTexture = ImageTexture.create_from_image(VaeStudioArray.to_image(arr))
	var times: PackedFloat64Array = []
	for round: int in 200:
		var t0: int = Time.get_ticks_usec()
		texture.update(VaeStudioArray.to_image(arr))
		times.append((Time.get_ticks_usec() - t0) / 1000.0)
	return _stats(times)


func _stats(values: PackedFloat64Array) -> Dictionary:
	if values.is_empty():
		return {"p50": 0.0, "p99": 0.0, "n": 0}
	var sorted: PackedFloat64Array = values.duplicate()
	sorted.sort()
	var n: int = sorted.size()
	return {
		"p50": sorted[int(0.5 * (n - 1))],
		"p99": sorted[int(ceil(0.99 * (n - 1)))],
		"max": sorted[n - 1],
		"n": n,
	}


## Sends a request and returns its result map, or {} after recording the failure.
func _call(op: String, args: Dictionary = {}) -> Dictionary:
	var reply: Dictionary = await _client.request(op, args).finished
	_report["steps"].append({"op": op, "ok": reply.get("ok"), "error": reply.get("error")})
	if not _expect(reply.get("ok") == true, "%s: %s" % [op, reply.get("error")]):
		return {}
	var result: Variant = reply.get("result", {})
	return result if result is Dictionary else {"value": result}


func _wait_for(condition: Callable, what: String) -> bool:
	while not condition.call():
		if Time.get_ticks_msec() > _deadline_ms:
			return _expect(false, "timed out waiting for %s (%s)" % [what, _client.last_error()])
		await process_frame
	return true


func _on_stream_received(topic: String, message: Dictionary) -> void:
	if _streams.has(topic):
		_streams[topic]["count"] += 1
		return
	var entry: Dictionary = {"count": 1, "message": _jsonable(message)}
	if topic == "latent" and message.get("coords") is Dictionary:
		var coords: Dictionary = message["coords"]
		entry["coords_shape"] = coords.get("shape")
		entry["coords_valid"] = VaeStudioArray.validate(coords)
		entry["labels_count"] = VaeStudioArray.to_int32(message.get("labels", {})).size()
	_streams[topic] = entry


func _on_connection_refused(reason: String) -> void:
	_report["refused"] = reason
	_report["refusals"] = int(_report.get("refusals", 0)) + 1


func _on_connection_changed(connected: bool) -> void:
	if connected:
		_report["connected"] = true


func _describe_images(images: Variant) -> Dictionary:
	if not images is Dictionary:
		return {"error": "images missing"}
	var problem: String = VaeStudioArray.validate(images)
	if problem != "":
		return {"error": problem}
	var img: Image = VaeStudioArray.to_image(images)
	if img == null:
		return {"error": "not an image shape: %s" % str(images["shape"])}
	var data: PackedByteArray = img.get_data()
	var total: int = 0
	for b: int in data:
		total += b
	return {
		"dtype": images["dtype"],
		"shape": images["shape"],
		"width": img.get_width(),
		"height": img.get_height(),
		"mean": float(total) / maxi(data.size(), 1),
	}


## Makes a decoded value JSON-friendly: bin becomes its length, non-string keys strings.
func _jsonable(v: Variant) -> Variant:
	var out: Variant = v
	if v is PackedByteArray:
		out = {"bin_bytes": (v as PackedByteArray).size()}
	elif v is Dictionary:
		var d: Dictionary = {}
		for key: Variant in v:
			d[str(key)] = _jsonable(v[key])
		out = d
	elif v is Array:
		out = (v as Array).map(_jsonable)
	elif v is Object:
		out = str(v)
	return out


func _expect(condition: bool, what: String) -> bool:
	if not condition:
		_report["errors"].append(what)
		printerr("E2E FAIL " + what)
	return condition


func _finish(ok: bool) -> void:
	_report["ok"] = ok and _report["errors"].is_empty()
	_report["streams"] = _streams
	_report["stream_messages_dropped"] = _client.stream_messages_dropped
	if _opts["out"] != "":
		var f: FileAccess = FileAccess.open(_opts["out"], FileAccess.WRITE)
		if f == null:
			printerr("E2E cannot write %s" % _opts["out"])
		else:
			f.store_string(JSON.stringify(_jsonable(_report), " "))
			f.close()
	print("E2E %s" % ("ok" if _report["ok"] else "FAILED"))
	_client.disconnect_from_backend()
	quit(0 if _report["ok"] else 1)
