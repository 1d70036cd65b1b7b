"""Private parts of ``numtorch.serialization``, one purpose per file: ``_zip`` (torch's zip
layout, strict reader), ``_pickler`` / ``_unpickler`` (checkpoint pickles out and in, the latter
behind an allowlist), ``_storage`` (tensor memory <-> torch storages), ``_rebuild`` (what the
allowlisted globals build), ``_load`` (zip and legacy formats), ``_safetensors``, ``_errors``."""
