"""Alerts: push the month's (or one day's) anomalies to staff through group-chat robots.

Which anomalies go out and what the message says is :mod:`returns_kit.messages` (chapter 5
previews the same message); this module is the ``returns-kit alerts`` command: robots, payloads,
signatures, sending with retries, and the state of what was sent.

``returns-kit alerts --month 2026-10 [--date 2026-10-17] [--send]`` — without ``--send`` the
messages are printed (dry run, nothing leaves the machine); with ``--send`` each configured robot
receives the anomalies it has not received before.

Robots and their documented formats (standard library only, JSON over HTTPS POST):

* 钉钉 custom robot — ``https://oapi.dingtalk.com/robot/send?access_token=…``, body
  ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles", "isAtAll"}}`` or
  ``{"msgtype": "text", "text": {"content"}, "at": …}``; 加签 mode appends
  ``&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")))>``;
  success is ``errcode == 0``.
* 飞书 custom bot — ``https://open.feishu.cn/open-apis/bot/v2/hook/<id>``, body
  ``{"msg_type": "post", "content": {"post": {"zh_cn": {"title", "content": [[{"tag": "text",
  "text"}], …]}}}}`` or ``{"msg_type": "text", "content": {"text"}}``; 签名校验 adds
  ``"timestamp": "<s>"`` and ``"sign": base64(HMAC-SHA256(key="<s>\\n<secret>", msg=b""))`` to the
  body; success is ``code == 0`` (older answers: ``StatusCode == 0``).
* 企业微信 group robot — ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``, body
  ``{"msgtype": "markdown", "markdown": {"content"}}`` (≤ 4096 bytes) or ``{"msgtype": "text",
  "text": {"content", "mentioned_mobile_list"}}`` (≤ 2048 bytes); success is ``errcode == 0``.

Secrets (webhook URLs, tokens, signing secrets) come from ``conf/local/alerts.yml`` or the
environment (``RETURNS_KIT_DINGTALK_WEBHOOK`` …) and never appear in any output: every line
this module writes passes through :class:`Redactor`, which shows a robot as its host and a
masked token.  A state file (``conf/local/alerts_sent.json``) remembers what each robot has
received, so a re-run (or tomorrow's cron) sends nothing twice.  Network errors, HTTP 5xx/429 and
the robots' rate-limit codes are retried with exponential back-off; the last failure is reported
and makes the command exit non-zero.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from . import chapters  # resolved on first use: importing the command line costs no scipy
from .core.files import atomic_write_text
from .errors import InputError, ParameterError
from .messages import Message, anomaly_key, format_message, load_alert_config, select

__all__ = [
    "KINDS", "KIND_ZH", "ENV_VARS", "Robot", "Redactor", "Message", "SendResult",
    "dingtalk_sign", "feishu_sign", "dingtalk_url", "build_payload", "load_alert_config",
    "load_robots", "anomaly_key", "format_message", "select", "send", "SentState", "run_alerts",
]

KINDS = ("dingtalk", "feishu", "wecom")
KIND_ZH = {"dingtalk": "钉钉", "feishu": "飞书", "wecom": "企业微信"}
ENV_VARS = {
    "dingtalk": ("RETURNS_KIT_DINGTALK_WEBHOOK", "RETURNS_KIT_DINGTALK_SECRET"),
    "feishu": ("RETURNS_KIT_FEISHU_WEBHOOK", "RETURNS_KIT_FEISHU_SECRET"),
    "wecom": ("RETURNS_KIT_WECOM_WEBHOOK", None),
}
FORMATS = {"dingtalk": ("markdown", "text"), "feishu": ("post", "text"), "wecom": ("markdown", "text")}
#: body size limits in bytes (企业微信 documents 4096 for markdown content, 2048 for text;
#: 飞书 20 KB per request; 钉钉 is generous — 18,000 keeps well inside it)
LIMITS = {("wecom", "markdown"): 4096, ("wecom", "text"): 2048, ("feishu", "post"): 18000,
          ("feishu", "text"): 18000, ("dingtalk", "markdown"): 18000, ("dingtalk", "text"): 18000}
#: robot error codes that mean "too fast / busy, try again later"
RETRYABLE_CODES = {"dingtalk": {130101, -1}, "feishu": {11232}, "wecom": {45009, -1}}


# --------------------------------------------------------------------------------------------
# Robots and redaction
# --------------------------------------------------------------------------------------------

@dataclass
class Robot:
    """One configured robot.  ``webhook``/``secret`` are secrets: never print them."""

    kind: str
    webhook: str | None = None
    secret: str | None = None
    format: str = "markdown"
    at_mobiles: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return KIND_ZH[self.kind]

    @property
    def configured(self) -> bool:
        return bool(self.webhook)

    def __repr__(self) -> str:  # never show the URL or secret, even in a traceback
        return f"Robot(kind={self.kind!r}, webhook={'set' if self.webhook else None}, " \
               f"secret={'set' if self.secret else None}, format={self.format!r})"


def _token_of(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    for key in ("access_token", "key"):
        if query.get(key):
            return query[key][0]
    segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return segment or None


def _mask(token: str | None) -> str:
    if not token:
        return "****"
    return "****" + token[-4:] if len(token) >= 16 else "****"


def redact_url(url: str | None) -> str:
    """``https://oapi.dingtalk.com/robot/send?access_token=abc…wxyz`` → ``oapi.dingtalk.com
    (令牌 ****wxyz)``: the host and at most the last 4 characters of a long token."""
    if not url:
        return "（未配置）"
    host = urllib.parse.urlsplit(url).hostname or "?"
    return f"{host}（令牌 {_mask(_token_of(url))}）"


class Redactor:
    """Replaces every secret (and its URL-encoded and token forms) in a text by ``****``."""

    def __init__(self, robots: Iterable[Robot] = ()):
        values: set[str] = set()
        for r in robots:
            for v in (r.webhook, r.secret, _token_of(r.webhook) if r.webhook else None):
                if v and len(v) >= 4:
                    values.update({v, urllib.parse.quote(v, safe=""), urllib.parse.quote_plus(v)})
        self._values = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for v in self._values:
            text = text.replace(v, "****")
        return text


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------

def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(key=secret, msg="<timestamp_ms>\\n<secret>")), *not yet*
    URL-encoded (``dingtalk_url`` encodes it)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_url(webhook: str, secret: str | None, timestamp_ms: int) -> str:
    """The webhook with ``&timestamp=…&sign=…`` appended in 加签 mode (unchanged otherwise)."""
    if not secret:
        return webhook
    sign = urllib.parse.quote_plus(dingtalk_sign(secret, timestamp_ms))
    sep = "&" if "?" in webhook else "?"
    return f"{webhook}{sep}timestamp={timestamp_ms}&sign={sign}"


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书 签名校验: base64(HMAC-SHA256(key="<timestamp_s>\\n<secret>", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


# --------------------------------------------------------------------------------------------
# Payloads (the robot-neutral message is :class:`returns_kit.messages.Message`)
# --------------------------------------------------------------------------------------------


_MD_SPECIAL = str.maketrans({"*": "＊", "_": "＿", "#": "＃", "<": "＜", ">": "＞", "[": "［",
                             "]": "］", "`": "｀", "|": "｜"})


def _md(text: str) -> str:
    """Product names and reasons inside markdown: markup characters become full-width look-alikes
    so a name like ``<爆款>**秒杀**`` cannot break the message."""
    return text.translate(_MD_SPECIAL)


def _payload_for(kind: str, fmt: str, message: Message, lines: list[str], more: int,
                 at_mobiles: list[str]) -> dict[str, Any]:
    tail = [f"另有 {more} 条异常未列出"] if more else []
    if fmt == "text":
        text = Message(message.title, lines + tail, message.footer).as_text()
        if kind == "dingtalk":
            return {"msgtype": "text", "text": {"content": text},
                    "at": {"atMobiles": list(at_mobiles), "isAtAll": False}}
        if kind == "feishu":
            return {"msg_type": "text", "content": {"text": text}}
        body: dict[str, Any] = {"content": text}
        if at_mobiles:
            body["mentioned_mobile_list"] = list(at_mobiles)
        return {"msgtype": "text", "text": body}
    if kind == "dingtalk":
        text = "\n\n".join([f"#### {_md(message.title)}", *[f"- {_md(x)}" for x in lines + tail]]
                           + ([f"> {_md(message.footer)}"] if message.footer else []))
        if at_mobiles:
            text += "\n\n" + " ".join(f"@{m}" for m in at_mobiles)
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text},
                "at": {"atMobiles": list(at_mobiles), "isAtAll": False}}
    if kind == "feishu":
        rows = [[{"tag": "text", "text": f"• {x}"}] for x in lines + tail]
        if message.footer:
            rows.append([{"tag": "text", "text": message.footer}])
        return {"msg_type": "post",
                "content": {"post": {"zh_cn": {"title": message.title, "content": rows}}}}
    # 企业微信 markdown
    content = "\n".join([f"### {_md(message.title)}", *[f"> {_md(x)}" for x in lines + tail]]
                        + ([f"<font color=\"comment\">{_md(message.footer)}</font>"] if message.footer else []))
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _content_bytes(kind: str, fmt: str, payload: dict) -> int:
    if kind == "wecom":
        return len(payload[fmt if fmt != "post" else "markdown"]["content"].encode("utf-8"))
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def build_payload(robot: Robot, message: Message, *, timestamp: float | None = None) -> dict[str, Any]:
    """The JSON body for ``robot`` in its configured format, cut to the robot's size limit
    (lines dropped from the end, replaced by “另有 N 条异常未列出”).  For 飞书 in 签名校验 mode
    ``timestamp`` (seconds; default now) and ``sign`` are added to the body."""
    kind, fmt = robot.kind, robot.format
    if kind not in KINDS:
        raise ParameterError(f"unknown robot kind {kind!r} (use {', '.join(KINDS)})")
    if fmt not in FORMATS[kind]:
        raise ParameterError(f"{KIND_ZH[kind]}: format must be one of {', '.join(FORMATS[kind])}, got {fmt!r}")
    lines = list(message.lines)
    more = 0
    payload = _payload_for(kind, fmt, message, lines, more, robot.at_mobiles)
    limit = LIMITS[(kind, fmt)]
    while _content_bytes(kind, fmt, payload) > limit and lines:
        lines.pop()
        more += 1
        payload = _payload_for(kind, fmt, message, lines, more, robot.at_mobiles)
    if kind == "feishu" and robot.secret:
        ts = int(timestamp if timestamp is not None else time.time())
        payload = {"timestamp": str(ts), "sign": feishu_sign(robot.secret, ts), **payload}
    return payload


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def load_robots(settings: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[Robot]:
    """Robots named under ``alerts.robots`` (format from conf/base, webhook/secret from
    conf/local or the environment — the environment wins)."""
    env = os.environ if env is None else env
    robots = []
    conf = settings.get("robots") or {}
    for kind in KINDS:
        entry = conf.get(kind)
        url_var, secret_var = ENV_VARS[kind]
        if entry is None and not env.get(url_var):
            continue
        entry = entry or {}
        default_fmt = FORMATS[kind][0]
        robot = Robot(
            kind=kind,
            webhook=env.get(url_var) or entry.get("webhook") or None,
            secret=(env.get(secret_var) if secret_var else None) or entry.get("secret") or None,
            format=str(entry.get("format", default_fmt)),
            at_mobiles=[str(m) for m in entry.get("at_mobiles", []) or []],
        )
        if robot.format not in FORMATS[kind]:
            raise ParameterError(
                f"conf alerts.yml: {KIND_ZH[kind]} format must be one of {', '.join(FORMATS[kind])}")
        if robot.webhook and not robot.webhook.startswith(("https://", "http://")):
            raise ParameterError(f"conf alerts.yml: {KIND_ZH[kind]} webhook must be an http(s) URL")
        robots.append(robot)
    return robots


# --------------------------------------------------------------------------------------------
# Sending with retries
# --------------------------------------------------------------------------------------------

@dataclass
class SendResult:
    robot: str
    ok: bool
    attempts: int
    error: str = ""


def _success(kind: str, answer: Any) -> tuple[bool, int | None, str]:
    """(ok, code, message) from a robot's JSON answer — its own success field, not HTTP 200."""
    if not isinstance(answer, dict):
        return False, None, "响应不是 JSON 对象"
    if kind == "feishu":
        code = answer.get("code", answer.get("StatusCode"))
        msg = answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code = answer.get("errcode")
        msg = answer.get("errmsg", "")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    return code == 0, code, str(msg)


def send(robot: Robot, message: Message, *, retries: int = 3, backoff: float = 2.0,
         timeout: float = 10.0, sleep: Callable[[float], None] | None = None,
         clock: Callable[[], float] | None = None, opener: Callable[..., Any] | None = None,
         log: Callable[[str], None] | None = None) -> SendResult:
    """POST ``message`` to ``robot``; retry up to ``retries`` times (waits ``backoff`` × 2^i
    seconds through ``sleep``) on network errors, HTTP 5xx/429 and rate-limit codes.  A fresh
    signature is computed for each attempt.  Never raises for a delivery problem: the result
    says what happened, with secrets redacted."""
    opener = opener or urllib.request.urlopen
    sleep = sleep or time.sleep
    clock = clock or time.time
    redact = Redactor([robot])
    say = (lambda text: log(redact(text))) if log else (lambda text: None)
    where = f"{robot.name} {redact_url(robot.webhook)}"
    if not robot.webhook:
        return SendResult(robot.kind, False, 0, f"{robot.name}：未配置 webhook")
    error = ""
    attempts = 0
    for attempt in range(retries + 1):
        attempts = attempt + 1
        now = clock()
        payload = build_payload(robot, message, timestamp=now)
        url = dingtalk_url(robot.webhook, robot.secret, int(round(now * 1000))) \
            if robot.kind == "dingtalk" else robot.webhook
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        retry = False
        try:
            with opener(request, timeout=timeout) as response:
                raw = response.read()
            try:
                answer = json.loads(raw.decode("utf-8") or "null")
            except (UnicodeDecodeError, json.JSONDecodeError):
                answer = None
            ok, code, msg = _success(robot.kind, answer)
            if ok:
                say(f"{where}：发送成功（第 {attempts} 次尝试）")
                return SendResult(robot.kind, True, attempts)
            error = f"机器人返回错误 code={code} {msg}".strip()
            retry = code in RETRYABLE_CODES[robot.kind]
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            retry = exc.code >= 500 or exc.code == 429
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"网络错误：{type(reason).__name__}"
            retry = True
        if retry and attempt < retries:
            wait = backoff * (2 ** attempt)
            say(f"{where}：{error}，{wait:g} 秒后重试（{attempts}/{retries + 1}）")
            sleep(wait)
            continue
        break
    say(f"{where}：发送失败（{attempts} 次尝试）：{error}")
    return SendResult(robot.kind, False, attempts, redact(error))


# --------------------------------------------------------------------------------------------
# State: what each robot has already received
# --------------------------------------------------------------------------------------------

class SentState:
    """``{"version": 1, "sent": {robot_kind: {anomaly_key: sent_at}}}`` in a JSON file, written
    atomically (temp file, then rename)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.data: dict[str, Any] = {"version": 1, "sent": {}}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"alert state file is not valid JSON ({exc}); fix or delete it",
                                 file=str(self.path)) from None
            if isinstance(loaded, dict) and isinstance(loaded.get("sent"), dict):
                self.data = loaded

    def is_sent(self, robot: str, key: str) -> bool:
        return key in self.data["sent"].get(robot, {})

    def mark(self, robot: str, keys: Iterable[str], when: str) -> None:
        self.data["sent"].setdefault(robot, {}).update({k: when for k in keys})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True))


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def run_alerts(month: str, *, date: str | None = None, send_now: bool = False,
               conf: str | Path = "conf", raw: str | Path = "data/raw",
               processed: str | Path = "data/processed", external: str | Path = "data/external",
               anomalies: list[dict[str, Any]] | None = None, state_file: str | Path | None = None,
               env: Mapping[str, str] | None = None, opener=None,
               sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
               out=None, err=None) -> int:
    """Dry run (print the messages) or send them; returns the exit code: 0 done (also when there
    is nothing new), 1 a robot still failed after the retries, 2 bad parameters (raised as
    :class:`ParameterError`: e.g. ``--send`` with no robot configured)."""
    out = out or sys.stdout
    err = err or sys.stderr
    sleep = sleep or time.sleep
    clock = clock or time.time
    if date is not None and not date.startswith(month):
        raise ParameterError(f"--date {date} is not in --month {month}")
    settings = load_alert_config(conf)
    robots = load_robots(settings, env)
    redact = Redactor(robots)

    def say(text: str, stream=None) -> None:
        print(redact(text), file=stream or err)

    age_days = None
    if anomalies is None:
        ctx = chapters.build_context(month, raw_dir=raw, external_dir=external, processed_dir=processed,
                                     conf_dir=conf)
        detection = chapters.ch5_monitoring.detect_anomalies(ctx)
        anomalies, age_days = detection.anomalies, detection.settings.cohort.age_days
    chosen = select(anomalies, settings, date)
    state_path = Path(state_file) if state_file else Path(conf) / str(
        settings.get("state_file", "local/alerts_sent.json"))
    state = SentState(state_path)
    period = date or month
    if not chosen:
        say(f"{period}：没有需要推送的异常。", out)
        return 0

    if not send_now:
        message = format_message(chosen, month, settings, date, age_days)
        say(f"（试运行，不发送）{period} 共 {len(chosen)} 条异常：", out)
        print(redact(message.as_text()), file=out)
        if not robots:
            say("未配置机器人：在 conf/local/alerts.yml 或环境变量 RETURNS_KIT_*_WEBHOOK 中配置后加 --send 发送。", out)
        for robot in robots:
            new = [a for a in chosen if not state.is_sent(robot.kind, anomaly_key(a))]
            status = "已配置" if robot.configured else "未配置地址"
            say(f"→ {robot.name} {redact_url(robot.webhook)}（{status}，格式 {robot.format}）："
                f"{len(new)} 条未发送过", out)
        return 0

    active = [r for r in robots if r.configured]
    if not active:
        raise ParameterError(
            "--send: no robot webhook configured (conf/local/alerts.yml alerts.robots.<dingtalk|"
            "feishu|wecom>.webhook, or RETURNS_KIT_DINGTALK_WEBHOOK / RETURNS_KIT_FEISHU_WEBHOOK /"
            " RETURNS_KIT_WECOM_WEBHOOK)")
    failed = 0
    for robot in active:
        new = [a for a in chosen if not state.is_sent(robot.kind, anomaly_key(a))]
        if not new:
            say(f"{robot.name} {redact_url(robot.webhook)}：没有新的异常，不重复发送。")
            continue
        message = format_message(new, month, settings, date, age_days)
        result = send(robot, message, retries=int(settings.get("retries", 3)),
                      backoff=float(settings.get("backoff_seconds", 2)),
                      timeout=float(settings.get("timeout_seconds", 10)),
                      sleep=sleep, clock=clock, opener=opener, log=say)
        if result.ok:
            state.mark(robot.kind, message.keys, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(clock())))
            state.save()
            say(f"{robot.name}：已发送 {len(new)} 条异常。")
        else:
            failed += 1
    return 1 if failed else 0
