# libmmsim/build.mk - libmmsim, the .mmt reader for other tools: a shared library with a
# soname (build/pub/libmmsim.so.0) and a static one (build/pub/libmmsim.a) made of the public
# API (libmmsim/mmsim.h, libmmsim/trace_api.c) and the trace reader of traces/. Only the
# mmsim_* functions are exported from the shared library. `make install` puts them in
# $(LIBDIR), the header in $(INCLUDEDIR), mmsim.pc in $(LIBDIR)/pkgconfig and the Python
# module (python/mmsim) in $(PYDIR).

PUB_VERSION = 0.1.0
PUB_SOVER = 0
PUB_SRCS := libmmsim/trace_api.c traces/mmt_reader.c traces/mmt_names.c
PUB_OBJS := $(PUB_SRCS:%.c=build/pub/obj/%.o)
PUB_SO = build/pub/libmmsim.so.$(PUB_VERSION)
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# Debian's python3 looks in /usr/lib/python3/dist-packages and, for /usr/local and other
# prefixes, in PREFIX/lib/pythonX.Y/dist-packages.
PYVER := $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(PYVER)/dist-packages)

build/pub/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(PUB_SO): $(PUB_OBJS)
	$(CC) -shared -Wl,-soname,libmmsim.so.$(PUB_SOVER) -Wl,--no-undefined $^ -lzstd -o $@
	ln -sfn libmmsim.so.$(PUB_VERSION) build/pub/libmmsim.so.$(PUB_SOVER)
	ln -sfn libmmsim.so.$(PUB_SOVER) build/pub/libmmsim.so

build/pub/libmmsim.a: $(PUB_OBJS)
	rm -f $@ && ar rcs $@ $^

EXTRA_BUILD += $(PUB_SO) build/pub/libmmsim.a
INSTALL_EXTRA += install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PYDIR)/mmsim && \
    install -m 755 $(PUB_SO) $(DESTDIR)$(LIBDIR)/ && \
    ln -sfn libmmsim.so.$(PUB_VERSION) $(DESTDIR)$(LIBDIR)/libmmsim.so.$(PUB_SOVER) && \
    ln -sfn libmmsim.so.$(PUB_SOVER) $(DESTDIR)$(LIBDIR)/libmmsim.so && \
    install -m 644 build/pub/libmmsim.a $(DESTDIR)$(LIBDIR)/ && \
    install -m 644 libmmsim/mmsim.h $(DESTDIR)$(INCLUDEDIR)/mmsim.h && \
    sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
        -e 's|@VERSION@|$(PUB_VERSION)|' libmmsim/mmsim.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/mmsim.pc && \
    install -m 644 python/mmsim/*.py $(DESTDIR)$(PYDIR)/mmsim/;
