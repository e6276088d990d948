extends "res://tests/test_case.gd"
## The Export tab's logic without a backend: ExportPlan (items, skips, safe paths, folders,
## sizes), ExportFetcher against a fake server that answers `run.export` and `run.fetch` when
## pumped (chunks, SHA-256 checks, .part files, failures, Retry, Cancel), ExportPictures (the
## latent plane, scaled images, strips, CSV) and the Load list's order and filter.


## A server in memory: queues each request and answers it when [method pump] is called, as
## replies arrive on later frames in the Studio.
class FakeServer:
	extends RefCounted
	## path -> bytes of the run folder.
	var files: Dictionary = {}
	## What run.export lists (default: every file).
	var listed: Array = []
	## run.fetch requests answered before every later one fails as a lost connection (-1: never).
	var fail_after: int = -1
	## path -> bytes that replace the file after its first chunk was sent (a save meanwhile).
	var replace_after_first: Dictionary = {}
	## path -> a wrong sha256 to send for it.
	var bad_sha: Dictionary = {}
	var ops: Array[String] = []
	var fetched: Array[String] = []
	var _queue: Array = []
	var _next_id: int = 1

	func send(op: String, args: Dictionary, on_reply: Callable) -> VaeStudioRequest:
		var request := VaeStudioRequest.new(_next_id, op, args)
		_next_id += 1
		ops.append(op)
		_queue.append([request, on_reply])
		return request

	## Answers queued requests (and those their replies send) until none is left.
	func pump(limit: int = 100000) -> void:
		while not _queue.is_empty() and limit > 0:
			limit -= 1
			var entry: Array = _queue.pop_front()
			var request: VaeStudioRequest = entry[0]
			request.finish(_answer(request))
			if (entry[1] as Callable).is_valid():
				(entry[1] as Callable).call(request)

	func _answer(request: VaeStudioRequest) -> Dictionary:
		var args: Dictionary = request.args
		if request.op == "run.export":
			var names: Array = listed if not listed.is_empty() else files.keys()
			return {"ok": true, "result": {"run": args["run"], "files": names}}
		if request.op != "run.fetch":
			return {"ok": true, "result": {}}
		if fail_after >= 0 and fetched.size() >= fail_after:
			return VaeStudioRequest.failure(request.id, "disconnected", "the connection was lost")
		var path: String = args["path"]
		fetched.append(path)
		var data: PackedByteArray = files[path]
		var offset: int = args["offset"]
		var chunk: PackedByteArray = data.slice(offset, offset + int(args["length"]))
		var sha: String = bad_sha.get(path, _sha(data))
		if offset > 0 and replace_after_first.has(path):
			files[path] = replace_after_first[path]
			replace_after_first.erase(path)
		var result: Dictionary = {"run": args["run"], "path": path, "offset": offset, "data": chunk}
		result["size"] = data.size()
		result["sha256"] = sha
		return {"ok": true, "result": result}

	static func _sha(data: PackedByteArray) -> String:
		var ctx := HashingContext.new()
		ctx.start(HashingContext.HASH_SHA256)
		if not data.is_empty():
			ctx.update(data)
		return ctx.finish().hex_encode()


func test_items_map_to_their_files_and_skips_say_why() -> void:
	check_eq(ExportPlan.item_of("latents.csv"), "latents", "a file of latents")
	check_eq(ExportPlan.item_of("godot/decoder.safetensors"), "godot", "a file under godot/")
	check_eq(ExportPlan.item_of("notes.txt"), "", "a file no item names")
	var skipped: PackedStringArray = ExportPlan.skipped(
		["checkpoint", "onnx", "samples"], ["checkpoint.safetensors", "samples.png"]
	)
	check_eq(skipped.size(), 1, "only onnx wrote nothing")
	check(skipped[0].begins_with("onnx: ") and skipped[0].contains("onnx package"), skipped[0])
	var why: String = ExportPlan.skipped(["onnx"], [], 1)[0]
	check(why.contains("class labels") and not why.contains("package"), "labelled: %s" % why)
	why = ExportPlan.skipped(["onnx"], [], 0)[0]
	check(why.contains("onnx package") and not why.contains("labels"), "no package: %s" % why)
	check_eq(ExportPlan.ITEMS.size(), ExportPlan.ITEM_FILES.size(), "every item has its files")


func test_only_paths_inside_the_destination_are_written() -> void:
	for good: String in ["metrics.csv", "godot/decoder.safetensors", "a/b/c.bin"]:
		check_eq(ExportPlan.path_problem(good), "", good)
	for bad: String in ["", "/etc/passwd", "../x", "godot/../../x", "a//b", "./x", "C:x", "a\\b"]:
		check(not ExportPlan.path_problem(bad).is_empty(), "refused: '%s'" % bad)


func test_folders_sizes_and_progress_in_words() -> void:
	check_eq(ExportPlan.default_folder("vae-digits-1.a"), "user://exports/vae-digits-1.a/", "run")
	check_eq(ExportPlan.default_folder("a/b c"), "user://exports/a_b_c/", "odd characters")
	check(ExportPlan.absolute("user://x").ends_with("/x/"), "absolute, with a trailing /")
	check_eq(ExportPlan.human_bytes(512), "512 B", "bytes")
	check_eq(ExportPlan.human_bytes(3 * 1024 + 400), "3.4 KiB", "KiB")
	check_eq(ExportPlan.human_bytes(12 * 1024 * 1024), "12.0 MiB", "MiB")
	check_eq(ExportPlan.human_bytes(5 * 1024 * 1024 + 300000), "5.29 MiB", "small MiB, 2 decimals")
	check_eq(
		ExportPlan.describe_progress(1024, 4096, "latents.npz", 3, 9),
		"1.0 KiB of 4.0 KiB · latents.npz (4 of 9)",
		"progress"
	)
	check_eq(ExportPlan.next_length(0, 10, 4), 4, "a whole chunk")
	check_eq(ExportPlan.next_length(8, 10, 4), 2, "the rest")
	check_eq(ExportPlan.next_length(10, 10, 4), 0, "done")
	check_eq(ExportPlan.next_length(0, 1 << 30, 1 << 30), ExportPlan.MAX_CHUNK, "at most 4 MiB")


func test_a_folder_that_cannot_be_written_is_found_first() -> void:
	var root: String = _scratch("folder")
	check_eq(ExportPlan.folder_problem(root + "new/deeper"), "", "made and writable")
	check(DirAccess.dir_exists_absolute(root + "new/deeper"), "the folder was made")
	check(not FileAccess.file_exists(root + "new/deeper/.vaestudio-write-test"), "probe removed")
	_write(root + "a_file", PackedByteArray([1]))
	var problem: String = ExportPlan.folder_problem(root + "a_file/sub")
	check(problem.begins_with("Cannot create the folder"), problem)
	check(problem.contains("a_file is a file"), problem)
	check(ExportPlan.folder_problem(" ").begins_with("No destination folder"), "empty")
	_remove_tree(root)


func test_every_file_comes_over_in_chunks_and_is_checked() -> void:
	var server := _server()
	var folder: String = _scratch("copy")
	var fetcher := ExportFetcher.new(server.send)
	fetcher.chunk_size = 16
	fetcher.start("r1", ["checkpoint", "metrics", "godot", "onnx"], folder)
	check_eq(fetcher.state, ExportFetcher.State.EXPORTING, "run.export sent first")
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.DONE, "done: %s" % fetcher.error)
	check_eq(fetcher.done, PackedStringArray(server.files.keys()), "every file, in order")
	for path: String in server.files:
		check_eq(_read(folder + path), server.files[path], "same bytes: %s" % path)
	check_eq(_parts(folder), [], "no .part file left")
	check_eq(fetcher.bytes_done, fetcher.bytes_total, "all bytes counted")
	var metrics_size: int = (server.files["metrics.csv"] as PackedByteArray).size()
	check_eq(fetcher.bytes_total, 40 + metrics_size, "the sizes the server gave")
	check_eq(
		fetcher.chunks_fetched, 3 + ceili(metrics_size / 16.0), "16-byte chunks; none if empty"
	)
	check_eq(fetcher.skipped.size(), 1, "onnx left out")
	check(fetcher.skipped[0].begins_with("onnx"), "and said so")
	_remove_tree(folder)


func test_a_lost_connection_keeps_finished_files_and_retry_goes_on() -> void:
	var server := _server()
	var folder: String = _scratch("retry")
	var fetcher := ExportFetcher.new(server.send)
	fetcher.chunk_size = 16
	# 3 size probes and 3 chunks of the first file answer; the next request is lost.
	server.fail_after = 3 + 3 + 1
	fetcher.start("r1", ["checkpoint", "metrics", "godot"], folder)
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.FAILED, "failed")
	check(fetcher.error.contains("stopped at metrics.csv"), fetcher.error)
	check(fetcher.error.contains("disconnected"), fetcher.error)
	check_eq(fetcher.done, PackedStringArray(["checkpoint.safetensors"]), "the first file stays")
	check_eq(_parts(folder), [], "the partial file was removed")
	check(not FileAccess.file_exists(folder + "metrics.csv"), "no half file under its name")
	check(fetcher.can_retry(), "Retry is offered")
	server.fail_after = -1
	var before: int = server.fetched.size()
	fetcher.retry()
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.DONE, "done after Retry: %s" % fetcher.error)
	check_eq(server.ops.count("run.export"), 1, "run.export was not asked again")
	var again: Array = server.fetched.slice(before)
	check(not again.has("checkpoint.safetensors"), "the finished file was not fetched again")
	for path: String in server.files:
		check_eq(_read(folder + path), server.files[path], "same bytes: %s" % path)
	_remove_tree(folder)


func test_a_wrong_hash_removes_the_file() -> void:
	var server := _server()
	server.bad_sha["metrics.csv"] = "00".repeat(32)
	var folder: String = _scratch("hash")
	var fetcher := ExportFetcher.new(server.send)
	fetcher.start("r1", ["checkpoint", "metrics"], folder)
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.FAILED, "failed")
	check(fetcher.error.contains("metrics.csv arrived with SHA-256"), fetcher.error)
	check(not FileAccess.file_exists(folder + "metrics.csv"), "not kept")
	check_eq(_parts(folder), [], "no .part file")
	_remove_tree(folder)


func test_a_file_that_changes_meanwhile_is_fetched_again() -> void:
	var server := _server()
	var newer := PackedByteArray()
	newer.resize(50)
	newer.fill(7)
	server.replace_after_first["checkpoint.safetensors"] = newer
	var folder: String = _scratch("changed")
	var fetcher := ExportFetcher.new(server.send)
	fetcher.chunk_size = 16
	fetcher.start("r1", ["checkpoint"], folder)
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.DONE, "done: %s" % fetcher.error)
	check_eq(_read(folder + "checkpoint.safetensors"), newer, "the newer version, whole")
	var rest: int = (server.files["metrics.csv"] as PackedByteArray).size()
	check_eq(fetcher.bytes_total, 50 + rest, "the total follows the new size")
	_remove_tree(folder)


func test_cancel_and_abort_stop_and_retry_goes_on() -> void:
	var server := _server()
	var folder: String = _scratch("cancel")
	var fetcher := ExportFetcher.new(server.send)
	fetcher.chunk_size = 16
	fetcher.start("r1", ["checkpoint", "metrics"], folder)
	server.pump(5)  # run.export, the probes, the first chunk
	check_eq(fetcher.state, ExportFetcher.State.FETCHING, "copying")
	check_eq(_parts(folder), ["checkpoint.safetensors.part"], "a .part file while copying")
	fetcher.cancel()
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.CANCELLED, "cancelled; late replies dropped")
	check_eq(_parts(folder), [], "the partial file was removed")
	fetcher.retry()
	server.pump(5)
	fetcher.abort("The Studio connected to another backend.")
	check_eq(fetcher.state, ExportFetcher.State.FAILED, "aborted")
	check_eq(fetcher.error, "The Studio connected to another backend.", "with the reason")
	check_eq(_parts(folder), [], "the partial file was removed again")
	fetcher.retry()
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.DONE, "Retry finishes it")
	_remove_tree(folder)


func test_unwritable_folders_and_unsafe_names_are_refused() -> void:
	var server := _server()
	var folder: String = _scratch("refused")
	_write(folder + "a_file", PackedByteArray([1]))
	var fetcher := ExportFetcher.new(server.send)
	fetcher.start("r1", ["checkpoint"], folder + "a_file/out")
	check_eq(fetcher.state, ExportFetcher.State.FAILED, "failed at once")
	check(fetcher.error.begins_with("Cannot create the folder"), fetcher.error)
	check_eq(server.ops, [] as Array[String], "nothing was sent")
	server.listed = ["../outside.txt"]
	fetcher.start("r1", ["checkpoint"], folder + "ok")
	server.pump()
	check_eq(fetcher.state, ExportFetcher.State.FAILED, "an unsafe name fails")
	check(fetcher.error.contains("would leave the export folder"), fetcher.error)
	check(not FileAccess.file_exists(folder + "outside.txt"), "nothing written outside")
	_remove_tree(folder)


func test_the_latent_plane_is_drawn_where_the_view_draws_it() -> void:
	# Two points, (0, 1) of label 3 and (-2, 0.25) of label 9, on a 200 × 100 picture centred on
	# (0, 0) at 20 pixels per unit: (0, 1) lands at (100, 30), (-2, 0.25) at (60, 45).
	var frame := StudioLatentFrame.from_message(message_vector("latent, two 2-D points"))
	var image: Image = ExportPictures.latent_image(frame, Vector2i(200, 100), Vector2.ZERO, 20.0, 0)
	check_eq(image.get_size(), Vector2i(200, 100), "the size asked for")
	var background: Color = StudioPalette.BACKGROUND
	var three: Color = background.lerp(StudioPalette.label_color(3), ExportPictures.POINT_ALPHA)
	var nine: Color = background.lerp(StudioPalette.label_color(9), ExportPictures.POINT_ALPHA)
	check(_near(image.get_pixel(100, 30), three, 0.03), "label 3 at (0, 1)")
	check(_near(image.get_pixel(60, 45), nine, 0.03), "label 9 at (-2, 0.25)")
	check(_near(image.get_pixel(190, 90), background, 0.01), "background elsewhere")
	var grid: Image = ExportPictures.latent_image(
		frame, Vector2i(200, 100), Vector2.ZERO, 20.0, 1.0
	)
	check(grid.get_pixel(100, 80).r > background.r + 0.1, "the y axis through x = 0")
	check(grid.get_pixel(120, 80).r > background.r + 0.01, "a grid line at x = 1")
	check(_near(grid.get_pixel(110, 80), background, 0.01), "nothing between the lines")


func test_images_scale_up_crisply_and_strips_line_them_up() -> void:
	var small := Image.create_empty(8, 4, false, Image.FORMAT_L8)
	small.set_pixel(0, 0, Color.WHITE)
	var big: Image = ExportPictures.scaled(small, 256)
	check_eq(big.get_size(), Vector2i(256, 128), "×32, the longer side reaching 256")
	check_eq(big.get_pixel(31, 31), Color.WHITE, "nearest: the corner pixel is a 32 × 32 block")
	check_eq(big.get_pixel(32, 0), Color.BLACK, "and stops there")
	var square := Image.create_empty(8, 8, false, Image.FORMAT_L8)
	var strip: Image = ExportPictures.strip([square, square, square] as Array[Image], 64)
	check_eq(strip.get_size(), Vector2i(3 * (64 + 4) + 4, 64 + 8), "three 64-pixel tiles")
	check(ExportPictures.strip([] as Array[Image]) == null, "no images, no strip")


func test_points_as_csv() -> void:
	var frame := StudioLatentFrame.from_message(message_vector("latent, two 2-D points"))
	var csv: String = ExportPictures.points_csv(frame, Rect2(-1, -1, 2, 3))
	var lines: PackedStringArray = csv.strip_edges().split("\n")
	check_eq(lines[0], "point,row,label,z0,z1,in_view", "header")
	check_eq(lines[1], "0,4,3,0.0,1.0,1", "point 0: row 4, label 3, inside the view")
	check_eq(lines[2], "1,7,9,-2.0,0.25,0", "point 1: outside the view")
	check_eq(lines.size(), 3, "one row per point")


func test_the_load_list_is_checkpointed_runs_newest_first() -> void:
	var runs: Array = [
		{"run": "a", "updated": "2026-01-01T10:00:00", "checkpoint": true, "step": 5},
		{"run": "b", "updated": "2026-01-02T10:00:00", "checkpoint": false},
		{"run": "c", "updated": "2026-01-03T09:00:00", "checkpoint": true},
		{"run": "d", "created": "2026-01-02T12:00:00"},
		"not a run",
	]
	var names: Callable = func(list: Array[Dictionary]) -> Array:
		return list.map(func(e: Dictionary) -> String: return e["run"])
	check_eq(names.call(RunsPanel.newest_first(runs)), ["c", "d", "b", "a"], "newest first")
	check_eq(names.call(RunsPanel.loadable_runs(runs)), ["c", "d", "a"], "with a checkpoint")
	var entry: Dictionary = {
		"model": "vae", "data": "digits", "step": 5, "updated": "2026-01-01T10:00:00"
	}
	check_eq(RunsPanel.describe_run(entry), "vae on digits · step 5 · saved 2026-01-01 10:00", "")


## Three files of a run: 40 bytes, 33 bytes and an empty one under godot/.
static func _server() -> FakeServer:
	var server := FakeServer.new()
	var checkpoint := PackedByteArray()
	for i in 40:
		checkpoint.append(i)
	server.files["checkpoint.safetensors"] = checkpoint
	server.files["metrics.csv"] = "step,loss\n1,2.5\n2,2.25\n3,2.125\n".to_utf8_buffer()
	server.files["godot/decoder.safetensors"] = PackedByteArray()
	return server


## A fresh folder under user:// for one test, absolute, ending in "/".
static func _scratch(name: String) -> String:
	var folder: String = ExportPlan.absolute(
		"user://unit_export/%s_%d" % [name, Time.get_ticks_usec()]
	)
	DirAccess.make_dir_recursive_absolute(folder)
	return folder


## Removes `folder` and everything under it (the scratch folders of these tests).
static func _remove_tree(folder: String) -> void:
	for name in DirAccess.get_files_at(folder):
		DirAccess.remove_absolute(folder.path_join(name))
	for name in DirAccess.get_directories_at(folder):
		_remove_tree(folder.path_join(name))
	DirAccess.remove_absolute(folder)


static func _write(path: String, data: PackedByteArray) -> void:
	var file := FileAccess.open(path, FileAccess.WRITE)
	file.store_buffer(data)
	file.close()


static func _read(path: String) -> PackedByteArray:
	return FileAccess.get_file_as_bytes(path)


## The .part files under `folder`, relative to it.
static func _parts(folder: String) -> Array:
	var found: Array = []
	for sub: String in ["", "godot/"]:
		if not DirAccess.dir_exists_absolute(folder + sub):
			continue
		for name in DirAccess.get_files_at(folder + sub):
			if name.ends_with(".part"):
				found.append(sub + name)
	return found


static func _near(a: Color, b: Color, eps: float) -> bool:
	return absf(a.r - b.r) <= eps and absf(a.g - b.g) <= eps and absf(a.b - b.b) <= eps
