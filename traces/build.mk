# traces/build.mk - the trace-format benchmark helper (not installed).
EXTRA_BUILD += build/tools/mmt_codec

build/tools/mmt_codec: tests/bench/mmt_codec.c build/libmmsim.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< build/libmmsim.a $(LDLIBS) -o $@
