extends "res://tests/test_case.gd"
## VaeStudioArray helpers for the wire array form.

const Arr = preload("res://addons/vaestudio/vae_studio_array.gd")


func test_float32_round_trip() -> void:
	var values := PackedFloat32Array([0.5, -1.0, 3.25, 0.0, 1e-3, -7.5])
	var arr: Dictionary = Arr.from_float32(values, [3, 2])
	check_eq(arr["dtype"], "f32", "dtype")
	check_eq(arr["shape"], [3, 2], "shape")
	check_eq(
		(arr["data"] as PackedByteArray).slice(0, 8).hex_encode(), "0000003f000080bf", "LE bytes"
	)
	check_eq(Arr.validate(arr), "", "valid")
	check_eq(Arr.to_float32(arr), values, "back to floats")


func test_message_vector_arrays() -> void:
	# The decode request and latent stream of protocol/vectors/messages.json.
	for case: Dictionary in load_vectors("messages.json").get("messages", []):
		var msg: Dictionary = VaeStudioMsgpack.decode(str(case["hex"]).hex_decode())["value"]
		match case["description"]:
			"decode one 2-D point":
				var z: Dictionary = msg["args"]["z"]
				check_eq(Arr.to_float32(z), PackedFloat32Array([0.5, -1.0]), "z values")
				check_eq(Arr.from_float32(PackedFloat32Array([0.5, -1.0]), [1, 2]), z, "z built")
			"latent, two 2-D points (projection dims)":
				check_eq(
					Arr.to_float32(msg["coords"]), PackedFloat32Array([0, 1, -2, 0.25]), "coords"
				)
				check_eq(Arr.to_int32(msg["indices"]), PackedInt32Array([4, 7]), "indices")
				check_eq(Arr.to_int32(msg["labels"]), PackedInt32Array([3, 9]), "labels")
			"decode reply with one 2x2 image":
				var img: Image = Arr.to_image(msg["result"]["images"])
				check(img != null, "image made")
				if img != null:
					check_eq(img.get_format(), Image.FORMAT_L8, "L8")
					check_eq(img.get_size(), Vector2i(2, 2), "2x2")
					check_eq(img.get_data(), PackedByteArray([0, 64, 128, 255]), "pixels")


func test_to_image_batches_and_rgb() -> void:
	var data := PackedByteArray()
	for i: int in 2 * 3 * 4:
		data.append(i)
	var gray: Dictionary = {"dtype": "u8", "shape": [2, 3, 4], "data": data}
	var second: Image = Arr.to_image(gray, 1)
	check_eq(second.get_size(), Vector2i(4, 3), "w x h")
	check_eq(second.get_data(), data.slice(12, 24), "second image slice")
	var rgb: Dictionary = {"dtype": "u8", "shape": [2, 2, 2, 3], "data": data}
	var img: Image = Arr.to_image(rgb, 1)
	check_eq(img.get_format(), Image.FORMAT_RGB8, "RGB8")
	check_eq(img.get_pixel(0, 0).r8, 12, "first pixel of the second image")


func test_validate_explains() -> void:
	var cases: Dictionary = {
		"unknown dtype": {"dtype": "f16", "shape": [1], "data": PackedByteArray([0, 0])},
		"bytes": {"dtype": "f32", "shape": [4, 2], "data": PackedByteArray([0, 0, 0, 0])},
		"shape": {"dtype": "u8", "shape": [-1], "data": PackedByteArray()},
		"bin": {"dtype": "u8", "shape": [1], "data": [1]},
		"a map": [],
	}
	for word: String in cases:
		var problem: String = Arr.validate(cases[word])
		check(problem.contains(word), "validate mentions '%s': %s" % [word, problem])
	check_eq(Arr.validate({"dtype": "u8", "shape": [0, 3], "data": PackedByteArray()}), "", "empty")
	check_eq(Arr.element_count([2, 3, 4]), 24, "element count")
	check_eq(Arr.element_count([2, 1.5]), -1, "float dim refused")
