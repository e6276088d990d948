extends "res://tests/test_case.gd"
## StudioLatentFrame: the `latent` vectors of protocol/vectors/messages.json, the checks that name
## a malformed field, and to_z (protocol §6.1: z = a + basisᵀ (p − basis · a)).

const EPS: float = 1e-5


func test_latent_vector_dims() -> void:
	var frame := StudioLatentFrame.from_message(message_vector("latent, two 2-D points"))
	check_eq(frame.error, "", "no error")
	check_eq(frame.run, "r0001", "run")
	check_eq(frame.step, 120, "step")
	check_eq([frame.count, frame.axis_count, frame.latent_dim], [2, 2, 2], "count, k, dim")
	check_eq(frame.projection, "dims", "projection")
	check_eq(frame.axes, PackedStringArray(["z0", "z1"]), "axes")
	check_eq(frame.coords(), PackedFloat32Array([0, 1, -2, 0.25]), "coords")
	check_eq(frame.basis, PackedFloat32Array([1, 0, 0, 1]), "basis")
	check_eq(frame.center, PackedFloat32Array([-1, 0.625]), "center")
	check_eq(frame.explained, PackedFloat32Array([0.5, 0.5]), "explained")
	check_eq(frame.scale, PackedFloat32Array([1.25, 0.5]), "scale")
	check_eq(frame.kl_per_dim, PackedFloat32Array([1.5, 0.25]), "kl_per_dim")
	check_eq(frame.color_by, "label", "color_by")
	check(frame.has_labels() and not frame.has_color_values(), "coloured by label")
	check_eq(frame.label_bytes.to_int32_array(), PackedInt32Array([3, 9]), "labels")
	check_eq(frame.axis_caption(0, true), "z0", "a dimension's caption is its name")
	check_eq(frame.bounds().position.x, -2.0, "bounds start at the lowest x")
	# With "dims" at full width, coords are z itself: a point maps to itself.
	_check_close(frame.to_z(Vector2(0.3, -0.7)), [0.3, -0.7], "dims: z is the point")


func test_points_rows_and_the_nearest_point() -> void:
	# Two points, (0, 1) of row 4 with label 3 and (-2, 0.25) of row 7 with label 9.
	var frame := StudioLatentFrame.from_message(message_vector("latent, two 2-D points"))
	check_eq(frame.indices, PackedInt32Array([4, 7]), "indices")
	check_eq([frame.row_of(1), frame.label_of(1), frame.point_of_row(4)], [7, 9, 0], "row, label")
	check_eq(frame.point_of_row(5), -1, "a row the frame lacks")
	check_eq(frame.point_2d(1), Vector2(-2.0, 0.25), "point_2d")
	check_eq(frame.point_3d(0), Vector3(0.0, 1.0, 0.0), "point_3d pads a missing axis with 0")
	check_eq(frame.nearest_point(Vector2(-1.9, 0.3), 0.2), 1, "the nearest point within reach")
	check_eq(frame.nearest_point(Vector2(-1.0, 0.5), 0.2), -1, "none within reach")


func test_latent_vector_pca() -> void:
	var frame := StudioLatentFrame.from_message(message_vector("latent, two 4-D points on 3"))
	check_eq(frame.error, "", "no error")
	check_eq([frame.count, frame.axis_count, frame.latent_dim], [2, 3, 4], "count, k, dim")
	check_eq(frame.projection, "pca", "projection")
	check_eq(frame.axes, PackedStringArray(["PC2", "PC1", "PC3"]), "axes")
	check_eq(frame.coords(), PackedFloat32Array([0.5, -1, 0, -0.5, 1, 0]), "coords")
	check_eq(frame.center, PackedFloat32Array([0, 0, 0, 0]), "center")
	check_eq(frame.explained, PackedFloat32Array([0.5, 0.5, 0]), "explained")
	check_eq(frame.kl_per_dim, PackedFloat32Array([2, 2, 0, 0]), "kl_per_dim")
	check(not frame.has_labels(), "no labels")
	check_eq(frame.color_by, "loss", "color_by")
	check(frame.has_color_values(), "coloured by values")
	check_eq(frame.color_bytes.to_float32_array(), PackedFloat32Array([20.5, 31.25]), "color")
	check_eq(frame.color_range(), Vector2(20.5, 31.25), "color range")
	check_eq(frame.axis_caption(0, true), "PC2 · 50 % of variance", "long caption")
	check_eq(frame.axis_caption(2), "PC3 · 0 %", "short caption")
	# The basis rows are e1, e0, e2 (permuted): the point (0.5, -1) on the axes is z1 = 0.5,
	# z0 = -1, and z2 keeps the anchor's value.
	_check_close(frame.to_z(Vector2(0.5, -1.0)), [-1.0, 0.5, 0.0, 0.0], "PCA point from center")
	_check_close(frame.project(PackedFloat32Array([1, 2, 3, 4])), [2.0, 1.0, 3.0], "project")


func test_to_z_keeps_the_anchor_off_the_plane() -> void:
	# latent_dim 4, a permuted and sign-flipped basis: axis 0 = −e2, axis 1 = e0.
	var frame := _frame(2, 4, [0, 0, -1, 0, 1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4])
	check_eq(frame.error, "", "no error")
	var anchor := PackedFloat32Array([5, 6, 7, 8])
	# z = a + basisᵀ (p − basis·a); basis·a = (−7, 5); p − basis·a = (2 + 7, 3 − 5) = (9, −2).
	# z = (5, 6, 7, 8) + 9·(0, 0, −1, 0) − 2·(1, 0, 0, 0) = (3, 6, −2, 8).
	_check_close(frame.to_z(Vector2(2.0, 3.0), anchor), [3.0, 6.0, -2.0, 8.0], "anchor kept")
	_check_close(frame.project(frame.to_z(Vector2(2.0, 3.0), anchor)), [2.0, 3.0], "on the point")
	# Without an anchor (or one of the wrong width) the center is the anchor.
	_check_close(frame.to_z(Vector2(0.0, 0.0)), [0.0, 0.2, 0.0, 0.4], "center anchor")
	_check_close(
		frame.to_z(Vector2(0.0, 0.0), PackedFloat32Array([1])), [0.0, 0.2, 0.0, 0.4], "bad anchor"
	)


func test_to_z_on_a_rotated_plane() -> void:
	# Axes at 45° in the (z1, z3) plane of a 4-D space; k = 3 with e0 as the third axis.
	var h: float = sqrt(0.5)
	var frame := _frame(3, 4, [0, h, 0, h, 0, -h, 0, h, 1, 0, 0, 0], [1, 2, 3, 4])
	check_eq(frame.error, "", "no error")
	var z: PackedFloat32Array = frame.to_z(Vector2(1.0, -1.0))
	# A Vector2 leaves the third axis where the anchor is (z0 = 1) and z2 untouched.
	_check_close(frame.project(z), [1.0, -1.0, 1.0], "lands on the point, third axis kept")
	check(absf(z[2] - 3.0) < EPS, "z2 off every axis keeps the anchor: %s" % z)
	_check_close(frame.to_z(Vector3(1.0, -1.0, 9.0)), [9.0, h * 2.0, 3.0, 0.0], "Vector3")


func test_one_axis_frame() -> void:
	# latent_dim 1: k = 1, the view's y is 0 and a pick's y is ignored.
	var frame := _frame(1, 1, [1], [0.5])
	check_eq([frame.axis_count, frame.latent_dim], [1, 1], "k, dim")
	_check_close(frame.to_z(Vector2(-2.0, 7.0)), [-2.0], "y ignored")
	check_eq(frame.project_2d(PackedFloat32Array([3])), Vector2(3.0, 0.0), "y = 0")
	check_eq(frame.bounds().size.y, 0.0, "flat along y")


func test_malformed_fields_are_named() -> void:
	var good: Dictionary = message_vector("latent, two 4-D points on 3")
	var cases: Dictionary = {
		"coords": {"coords": {"dtype": "f32", "shape": [2, 5], "data": PackedByteArray()}},
		"basis": {"basis": _f32([1, 0, 0, 0], [1, 4])},
		"center": {"center": _f32([0, 0], [2])},
		"explained": {"explained": null},
		"scale": {"scale": _f32([0, 0, 0, 0], [2, 2])},
		"kl_per_dim": {"kl_per_dim": {"dtype": "i32", "shape": [4], "data": PackedByteArray()}},
		"axes": {"axes": ["PC1"]},
		"projection": {"projection": "tsne"},
		"color": {"color": _f32([1], [1])},
		"labels": {"labels": _f32([1, 2], [2])},
	}
	for field: String in cases:
		var message: Dictionary = good.duplicate()
		message.merge(cases[field], true)
		if field == "explained":
			message.erase("explained")
		var frame := StudioLatentFrame.from_message(message)
		check(frame.error.contains(field), "%s: the error names it: '%s'" % [field, frame.error])


## A frame of one point at the origin with this basis (k rows of dim) and center.
static func _frame(k: int, dim: int, basis: Array, center: Array) -> StudioLatentFrame:
	var names: Array = []
	var shares: Array = []
	var zeros: Array = []
	for i in k:
		names.append("PC%d" % (i + 1))
		shares.append(0.1)
	for d in dim:
		zeros.append(0.0)
	var coords: Array = []
	coords.resize(k)
	coords.fill(0.0)
	var message: Dictionary = {
		"v": 1,
		"run": "r",
		"step": 1,
		"coords": _f32(coords, [1, k]),
		"indices": VaeStudioArray.from_int32(PackedInt32Array([0]), [1]),
		"axes": names,
		"projection": "pca",
		"basis": _f32(basis, [k, dim]),
		"center": _f32(center, [dim]),
		"explained": _f32(shares, [k]),
		"scale": _f32(zeros, [dim]),
		"kl_per_dim": _f32(zeros, [dim]),
		"color_by": "label",
	}
	return StudioLatentFrame.from_message(message)


static func _f32(values: Array, shape: Array) -> Dictionary:
	return VaeStudioArray.from_float32(PackedFloat32Array(values), shape)


func _check_close(actual: PackedFloat32Array, expected: Array, what: String) -> void:
	var same: bool = actual.size() == expected.size()
	for i in mini(actual.size(), expected.size()):
		same = same and absf(actual[i] - float(expected[i])) < EPS
	check(same, "%s: got %s, expected %s" % [what, actual, expected])
