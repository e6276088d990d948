class_name VaeStudioRequest
extends RefCounted
## One request to the backend, returned by [method VaeStudioClient.request]. Await it:
##   var reply: Dictionary = await client.request("status").finished
## [signal finished] fires exactly once, never before the caller could await it, with the whole
## wire reply: {"v", "id", "ok": true, "result"} or {"v", "id", "ok": false, "error": {"code",
## "message"}}. Client-side failures use the codes "timeout", "not_connected" and "disconnected".

signal finished(reply: Dictionary)

var id: int = 0
var op: String = ""
var args: Dictionary = {}
var done: bool = false
var reply: Dictionary = {}
## Ticks (ms) when this request times out.
var deadline_ms: int = 0
## Ticks (ms) when it was sent, for latency figures.
var sent_ms: int = 0


func _init(request_id: int = 0, request_op: String = "", request_args: Dictionary = {}) -> void:
	id = request_id
	op = request_op
	args = request_args


## True when the backend answered ok.
func is_ok() -> bool:
	return done and reply.get("ok", false) == true


## The "result" map of an ok reply ({} otherwise).
func result() -> Dictionary:
	var value: Variant = reply.get("result", {})
	return value if value is Dictionary else {}


## The error code of a failed request ("" when ok or not done).
func error_code() -> String:
	var error: Variant = reply.get("error")
	return str(error.get("code", "")) if error is Dictionary else ""


## The error sentence of a failed request ("" when ok or not done).
func error_message() -> String:
	var error: Variant = reply.get("error")
	return str(error.get("message", "")) if error is Dictionary else ""


## Marks the request done and emits [signal finished]; later calls are ignored.
func finish(with_reply: Dictionary) -> bool:
	if done:
		return false
	done = true
	reply = with_reply
	finished.emit(reply)
	return true


## A client-side failure reply in the wire error form.
static func failure(request_id: Variant, code: String, message: String) -> Dictionary:
	return {"v": 1, "id": request_id, "ok": false, "error": {"code": code, "message": message}}
