# traces/build.mk - the trace-format benchmark helper (not installed).
# (Added straight to `build`: EXTRA_BUILD is expanded before the build.mk files are read.)
build: build/tools/mmt_codec

build/tools/mmt_codec: tests/bench/mmt_codec.c build/libmmsim.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< build/libmmsim.a $(LDLIBS) -o $@
