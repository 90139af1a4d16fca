"""Data refs by kind: what a run read, resolved to a version that cannot move.

A data ref names a dataset (a path or a URI) and the version of it a run
read, as the system holding it names that version. Resolving reads the
version now: a file is hashed, a Delta Lake table asked for its version, a
lakeFS branch, Dolt branch or Pachyderm branch turned into its commit, an S3
object asked for its version id or ETag. A system that cannot answer now
(down, no credentials, its client not installed) gives an *unresolved* ref,
recorded as given with one :class:`DataUnresolvedWarning`; a ref that can
never be resolved (a malformed URI, a path that does not exist) is a
``UsageError``.

Modules:

- ``refs``: :func:`~nbtrack.data.refs.resolve` (a path or URI to a
  ``DataRef``, by its scheme), ``Unreachable`` (what a kind's resolver raises
  when its system cannot answer now), the warning.
- ``faults``: ``Unreachable`` on its own, so a kind's module can raise it
  without importing ``refs`` (which imports the kinds' modules).
- ``files``: files and directories (sha256), DVC and Git LFS pointers.
- ``delta``: Delta Lake tables through the ``deltalake`` package.
- ``lakefs``: ``lakefs://repo/ref/path`` through lakeFS's REST API.
- ``dolt``: ``dolt://host:port/db@branch`` through Dolt's SQL server.
- ``pachyderm``: ``pfs://repo@branch/path`` through the Pachyderm SDK.
- ``s3``: ``s3://bucket/key`` through boto3 (version id, else ETag).

Not for: storing refs (``tracking`` records them on a run) or lineage
between runs (``compare.lineage`` reads it from the store).
"""
