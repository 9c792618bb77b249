"""THE MATRIX: the status every operation of the API answers to each kind of caller.

One row per operation of ``/openapi.json`` (``METHOD path``; a ``[variant]`` says which object of the
seeded catalog the row asks for, e.g. which rendition profile). The columns are the callers:

- ``anon``: no credential; ``revoked``: a revoked key of the own tenant;
- ``other``: an administrator's key of another tenant (the own tenant's objects must be 404 to it,
  and what it makes or lists is its own);
- each role of the own tenant (roles/roles.toml): ``admin editor playout newsroom viewer platform``
  (``admn edit play news view plat`` in the table's heading).

The play routes (``/api/v1/play/{token}/...``) read no credential: a valid signed link plays for anyone
(what the caller sends is ignored), one altered or signed for another rendition is 403 for everyone.

A write's status is that of an attempt with a valid request: 2xx when allowed, 403 when the role is
refused, 404 for another tenant's object. ``POST /api/v1/assets`` names an unknown profile, so an
allowed upload stops at 422 (before the file is probed) where a refused one is 401/403 before its body
is read. tests/test_authz_matrix.py sends every cell; an operation without a row fails it.
"""

from __future__ import annotations

__all__ = ["CALLERS", "MATRIX", "operation_of"]

CALLERS = ("anon", "revoked", "other", "admin", "editor", "playout", "newsroom", "viewer", "platform")

_TABLE = """
# operation [variant]                                                     anon rev othr admn edit play news view plat
POST    /api/v1/assets                                                     401  401  422  422  422  403  403  403  403
GET     /api/v1/assets                                                     401  401  200  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}                                          401  401  404  200  200  403  200  200  403
PATCH   /api/v1/assets/{asset_id}                                          401  401  404  200  200  403  403  403  403
DELETE  /api/v1/assets/{asset_id}                                          401  401  404  200  403  403  403  403  403
GET     /api/v1/assets/{asset_id}/original                                 401  401  404  200  200  403  403  403  403
GET     /api/v1/assets/{asset_id}/renditions/{profile} [proxy]             401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/renditions/{profile} [broadcast_hd]      401  401  404  200  200  200  403  403  403
GET     /api/v1/assets/{asset_id}/renditions/{profile} [hls]               401  401  404  307  307  403  307  307  403
GET     /api/v1/assets/{asset_id}/renditions/{profile}/{path} [hls playlist] 401 401 404 200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/renditions/{profile}/{path} [hls segment]  401 401 404 200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/renditions/{profile}/{path} [broadcast_hd] 401 401 404 404  404  404  403  403  403
POST    /api/v1/assets/{asset_id}/exports                                  401  401  404  202  202  403  403  403  403
POST    /api/v1/assets/{asset_id}/renditions                               401  401  404  202  202  403  403  403  403
POST    /api/v1/assets/{asset_id}/retry                                    401  401  404  202  202  403  403  403  403
GET     /api/v1/jobs                                                       401  401  200  200  200  403  403  200  403
GET     /api/v1/jobs/{job_id}                                              401  401  404  200  200  403  403  200  403
POST    /api/v1/jobs/{job_id}/cancel                                       401  401  404  200  200  403  403  403  403
GET     /api/v1/jobs/{job_id}/output [proxy export]                        401  401  404  200  200  403  403  200  403
GET     /api/v1/jobs/{job_id}/output [broadcast_hd export]                 401  401  404  200  200  403  403  403  403
GET     /api/v1/profiles                                                   200  200  200  200  200  200  200  200  200
GET     /healthz                                                           200  200  200  200  200  200  200  200  200
GET     /metrics                                                           401  401  403  403  403  403  403  403  200
GET     /api/v1/search                                                     401  401  200  200  200  403  200  200  403
GET     /api/v1/fields                                                     401  401  200  200  200  403  200  200  403
PUT     /api/v1/fields/{name}                                              401  401  200  200  403  403  403  403  403
DELETE  /api/v1/fields/{name}                                              401  401  404  204  403  403  403  403  403
GET     /api/v1/assets/{asset_id}/spans                                    401  401  404  200  200  403  200  200  403
POST    /api/v1/assets/{asset_id}/spans                                    401  401  404  201  201  403  403  403  403
DELETE  /api/v1/assets/{asset_id}/spans/{span_id}                          401  401  404  204  204  403  403  403  403
GET     /api/v1/assets/{asset_id}/subtitles                                401  401  404  200  200  403  200  200  403
POST    /api/v1/assets/{asset_id}/subtitles                                401  401  404  201  201  403  403  403  403
OPTIONS /api/v1/uploads                                                    204  204  204  204  204  204  204  204  204
POST    /api/v1/uploads                                                    401  401  201  201  201  403  403  403  403
OPTIONS /api/v1/uploads/{upload_id}                                        204  204  204  204  204  204  204  204  204
HEAD    /api/v1/uploads/{upload_id}                                        401  401  404  200  200  403  403  403  403
PATCH   /api/v1/uploads/{upload_id}                                        401  401  404  204  204  403  403  403  403
DELETE  /api/v1/uploads/{upload_id}                                        401  401  404  204  204  403  403  403  403
POST    /api/v1/uploads/{upload_id}                                        401  401  404  200  200  403  403  403  403
GET     /api/v1/assets/{asset_id}/shots                                    401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/qc                                       401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/speech                                   401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/storyboard.vtt                           401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/storyboard/{number}.jpg                  401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/text                                     401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/text.srt                                 401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/text.vtt                                 401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/shots/{number}/keyframe.jpg              401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/analysis/poster.jpg                      401  401  404  200  200  403  200  200  403
GET     /api/v1/assets/{asset_id}/shares                                   401  401  404  200  200  403  403  403  403
POST    /api/v1/assets/{asset_id}/shares                                   401  401  404  200  200  403  403  403  403
DELETE  /api/v1/assets/{asset_id}/shares/{tenant_id}                       401  401  404  204  204  403  403  403  403
GET     /api/v1/share-targets                                              401  401  200  200  200  403  403  403  403
GET     /api/v1/assets/{asset_id}/waveform                                 401  401  404  200  200  403  200  200  403
GET     /api/v1/session                                                    401  401  200  200  200  200  200  200  200
POST    /api/v1/session                                                    200  200  200  200  200  200  200  200  200
DELETE  /api/v1/session                                                    401  401  204  204  204  204  204  204  204
GET     /api/v1/audit                                                      401  401  200  200  403  403  403  403  200
GET     /api/v1/keys                                                       401  401  200  200  403  403  403  403  200
POST    /api/v1/keys                                                       401  401  201  201  403  403  403  403  201
DELETE  /api/v1/keys/{key_id}                                              401  401  404  204  403  403  403  403  204
GET     /api/v1/users                                                      401  401  200  200  403  403  403  403  200
POST    /api/v1/users                                                      401  401  201  201  403  403  403  403  201
POST    /api/v1/users/{name}/disable                                       401  401  404  200  403  403  403  403  200
GET     /api/v1/tenants                                                    401  401  403  403  403  403  403  403  200
POST    /api/v1/tenants                                                    401  401  403  403  403  403  403  403  201
POST    /api/v1/tenants/{tenant_id}/admins                                 401  401  403  403  403  403  403  403  201
POST    /api/v1/tenants/{tenant_id}/keys                                   401  401  403  403  403  403  403  403  201
GET     /api/v1/tenants/{tenant_id}/keys                                   401  401  403  403  403  403  403  403  200
DELETE  /api/v1/tenants/{tenant_id}/keys/{key_id}                          401  401  403  403  403  403  403  403  204
GET     /api/v1/tenants/{tenant_id}/users                                  401  401  403  403  403  403  403  403  200
POST    /api/v1/tenants/{tenant_id}/users/{name}/disable                   401  401  403  403  403  403  403  403  200
POST    /api/v1/assets/{asset_id}/links/{profile} [proxy]                  401  401  404  200  200  403  200  200  403
POST    /api/v1/assets/{asset_id}/links/{profile} [broadcast_hd]           401  401  404  200  200  200  403  403  403
GET     /api/v1/play/{token}/assets/{asset_id}/renditions/{profile} [proxy] 200 200 200 200 200 200 200 200 200
GET     /api/v1/play/{token}/assets/{asset_id}/renditions/{profile} [altered] 403 403 403 403 403 403 403 403 403
GET     /api/v1/play/{token}/assets/{asset_id}/renditions/{profile}/{path} [hls] 200 200 200 200 200 200 200 200 200
GET     /api/v1/play/{token}/assets/{asset_id}/renditions/{profile}/{path} [proxy] 403 403 403 403 403 403 403 403 403
GET     /api/v1/events                                                     401  401  200  200  200  403  200  200  403
GET     /api/v1/webhooks                                                   401  401  200  200  403  403  403  403  403
POST    /api/v1/webhooks                                                   401  401  201  201  403  403  403  403  403
GET     /api/v1/webhooks/{webhook_id}                                      401  401  404  200  403  403  403  403  403
PATCH   /api/v1/webhooks/{webhook_id}                                      401  401  404  200  403  403  403  403  403
DELETE  /api/v1/webhooks/{webhook_id}                                      401  401  404  204  403  403  403  403  403
GET     /api/v1/webhooks/{webhook_id}/deliveries                           401  401  404  200  403  403  403  403  403
POST    /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver   401  401  404  202  403  403  403  403  403
"""


def _parse(table: str) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        words = line.split()
        statuses, operation = words[-len(CALLERS) :], " ".join(words[: -len(CALLERS)])
        if operation in rows:
            raise ValueError(f"the matrix has two rows for {operation}")
        rows[operation] = dict(zip(CALLERS, (int(s) for s in statuses), strict=True))
    return rows


MATRIX: dict[str, dict[str, int]] = _parse(_TABLE)
"""``"METHOD path [variant]"`` -> caller -> status."""


def operation_of(row: str) -> str:
    """``"GET /api/v1/x [variant]"`` -> ``"GET /api/v1/x"``."""
    return row.split(" [", 1)[0]
