"""Alerts: robot payloads and signatures, sending to a local server, retries, no repeats, no leaks.

Signatures are checked against values computed independently with openssl:
  printf '1700000000000\\nSECtest-secret' | openssl dgst -sha256 -hmac 'SECtest-secret' -binary | base64
  printf '' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of "1700000000\\ntest-secret"> -binary | base64
"""

import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from returns_kit import alerts, cli
from returns_kit.alerts import Message, Robot

TOKEN = "test-token-SENTINEL-0123456789"      # obviously fake
SECRET = "SECtest-secret-SENTINEL"
FS_ID = "test-hook-SENTINEL-abcdef"
WC_KEY = "test-key-SENTINEL-987654"
SENTINELS = ("SENTINEL", TOKEN, SECRET, FS_ID, WC_KEY)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({})).open

DT_SIGN = "LC7hxZ4wslL+P7j7gu1hoQ+wzByekL+yWgiUMekZs0g="   # ts 1700000000000, secret SECtest-secret
FS_SIGN = "mbm4Y4oluIPQ00qlBIhX8vAZ0EKv3nw0LuTb91jPL84="   # ts 1700000000, secret test-secret


def _anomaly(date="2026-10-17", scope="shop", pid=None, rule="cohort", **kw):
    """A monitor record as :func:`returns_kit.anomaly.judge` writes it: a shop cohort-clock alert."""
    clock = kw.pop("clock", "event" if rule == "event" else "cohort")
    base = {"date": date, "period": None, "clock": clock,
            "metric": "applications" if clock == "event" else "refund_rate_at_age",
            "scope": scope, "product_id": pid, "product_name": None if pid is None else f"商品{pid}",
            "rule": rule, "value": 0.45, "baseline": 0.13, "ratio": 3.46, "observed": 196, "expected": 56.7,
            "paid_sub_orders": 436, "z": 9.1, "p_value": 1e-50, "alpha": 0.03, "baseline_kind": "normal",
            "promotion": False, "status": "alert", "pushed": rule != "threshold",
            "drivers": {"products": [{"product_id": "9", "product_name": "网红辣条大礼包",
                                      "paid_sub_orders": 46, "refunded": 31, "excess_refunds": 28.2}],
                        "reasons": [{"reason": "多拍 / 错拍 / 不想要", "category": "主观原因",
                                     "count": 150, "share": 0.77}],
                        "stage": {"stage": "before_shipping", "label": "发货前（未发货仅退款）",
                                  "share": 0.96}}}
    base.update(kw)
    return base


MESSAGE = Message(title="【退货预警】2026-10-17", lines=["第一行", "第二行"], footer="详见报告。")


# --------------------------------------------------------------------------------------------
# Signatures and payloads, field by field
# --------------------------------------------------------------------------------------------

def test_dingtalk_signature_for_a_fixed_timestamp():
    assert alerts.dingtalk_sign("SECtest-secret", 1700000000000) == DT_SIGN
    url = alerts.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=test-token",
                              "SECtest-secret", 1700000000000)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=test-token"
                   "&timestamp=1700000000000&sign=" + urllib.parse.quote_plus(DT_SIGN))
    assert "%2B" in url and "%3D" in url                     # '+' and '=' are URL-encoded
    assert alerts.dingtalk_url("https://x/robot/send?access_token=t", None, 1) == \
        "https://x/robot/send?access_token=t"


def test_feishu_signature_for_a_fixed_timestamp():
    assert alerts.feishu_sign("test-secret", 1700000000) == FS_SIGN


def test_dingtalk_payloads():
    robot = Robot("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=test-token",
                  at_mobiles=["13800000000"])
    md = alerts.build_payload(robot, MESSAGE)
    assert set(md) == {"msgtype", "markdown", "at"}
    assert md["msgtype"] == "markdown"
    assert md["markdown"]["title"] == "【退货预警】2026-10-17"
    assert md["markdown"]["text"] == ("#### 【退货预警】2026-10-17\n\n- 第一行\n\n- 第二行\n\n> 详见报告。"
                                      "\n\n@13800000000")
    assert md["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
    robot.format = "text"
    text = alerts.build_payload(robot, MESSAGE)
    assert text == {"msgtype": "text",
                    "text": {"content": "【退货预警】2026-10-17\n• 第一行\n• 第二行\n详见报告。"},
                    "at": {"atMobiles": ["13800000000"], "isAtAll": False}}


def test_feishu_payloads_plain_and_signed():
    robot = Robot("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/test-hook", format="post")
    post = alerts.build_payload(robot, MESSAGE)
    assert post == {"msg_type": "post", "content": {"post": {"zh_cn": {
        "title": "【退货预警】2026-10-17",
        "content": [[{"tag": "text", "text": "• 第一行"}], [{"tag": "text", "text": "• 第二行"}],
                    [{"tag": "text", "text": "详见报告。"}]]}}}}
    robot.secret = "test-secret"
    signed = alerts.build_payload(robot, MESSAGE, timestamp=1700000000.7)
    assert signed["timestamp"] == "1700000000" and isinstance(signed["timestamp"], str)
    assert signed["sign"] == FS_SIGN
    assert {k: v for k, v in signed.items() if k not in ("timestamp", "sign")} == post
    robot.format = "text"
    text = alerts.build_payload(robot, MESSAGE, timestamp=1700000000)
    assert text == {"timestamp": "1700000000", "sign": FS_SIGN, "msg_type": "text",
                    "content": {"text": "【退货预警】2026-10-17\n• 第一行\n• 第二行\n详见报告。"}}


def test_wecom_payloads_and_size_limit():
    robot = Robot("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key")
    md = alerts.build_payload(robot, MESSAGE)
    assert md == {"msgtype": "markdown", "markdown": {"content":
                  "### 【退货预警】2026-10-17\n> 第一行\n> 第二行\n<font color=\"comment\">详见报告。</font>"}}
    robot.format, robot.at_mobiles = "text", ["13800000000"]
    text = alerts.build_payload(robot, MESSAGE)
    assert text == {"msgtype": "text", "text": {
        "content": "【退货预警】2026-10-17\n• 第一行\n• 第二行\n详见报告。",
        "mentioned_mobile_list": ["13800000000"]}}
    long = Message("【退货预警】", [f"第{i}行：" + "退" * 100 for i in range(40)])
    cut = alerts.build_payload(robot, long)["text"]["content"]
    assert len(cut.encode("utf-8")) <= 2048                  # 企业微信 text limit
    assert cut.endswith("条异常未列出") and "第0行" in cut


def test_markdown_cannot_be_broken_by_a_product_name():
    robot = Robot("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t")
    msg = Message("【退货预警】", ["<font>**爆款**</font> [链接](x)"])
    text = alerts.build_payload(robot, msg)["markdown"]["text"]
    assert "**" not in text and "<font>" not in text and "](" not in text
    assert "＜font＞＊＊爆款＊＊" in text


def test_bad_format_is_a_parameter_error():
    with pytest.raises(alerts.ParameterError, match="format"):
        alerts.build_payload(Robot("wecom", "https://x", format="post"), MESSAGE)


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

def test_message_one_line_per_clock_and_products_folded_by_period():
    surge = _anomaly(rule="event", observed=180, expected=60.2, ratio=2.99, value=180, baseline=60.2,
                     p_value=2e-9, drivers={"products": [{"product_id": "7", "product_name": "充电宝",
                                                          "events": 120, "usual_per_day": 3.5}],
                                            "reasons": [{"reason": "质量问题", "category": "商品问题",
                                                         "count": 130, "share": 0.72}]})
    week = _anomaly(date="2026-10-12", period="10-12~10-18", scope="product", pid="1", value=0.6)
    day = _anomaly(date="2026-10-20", scope="product", pid="2", value=0.3, baseline_kind="promotion_prior",
                   p_value=0.004, drivers={})
    found = [_anomaly(), surge, week, day]
    settings = {"max_items": 8, "keyword": "退货预警", "title": "【{keyword}】{shop}{period}",
                "shop_name": "小鹿服饰", "footer": "详见 {month} 报告。"}
    m = alerts.format_message(found, "2026-10", settings, age_days=10)
    assert m.title == "【退货预警】小鹿服饰 2026-10"
    assert m.lines[0] == "10-12~10-18 单品预警 1 个：商品1 60%"
    assert m.lines[1] == ("10-17 全店支付后 10 天内退款率 45.0%（预期 13.0%，436 单），3.5 倍〔同龄比较 p < 0.001〕"
                          "；主要商品：网红辣条大礼包（46 单退 31）；主要原因：多拍 / 错拍 / 不想要 77%；96% 在发货前退款")
    assert m.lines[2] == ("10-17 全店售后申请 180 单（预期 60），3.0 倍〔当日事件 p < 0.001〕"
                          "；主要商品：充电宝（当天 120，平时 3.5/天）；主要原因：质量问题 72%")
    assert m.lines[3] == "10-20 单品预警 1 个：商品2 30%"
    assert len(m.lines) == 4 and m.footer == "详见 2026-10 报告。"
    assert m.keys == ["2026-10-17|refund_rate_at_age|shop|-|cohort", "2026-10-17|applications|shop|-|event",
                      "2026-10-12|refund_rate_at_age|product|1|cohort",
                      "2026-10-20|refund_rate_at_age|product|2|cohort"]
    assert alerts.format_message([], "2026-10", settings) is None
    # a title template without the robot keyword still carries it
    assert alerts.format_message(found, "2026-10", {"title": "{period}", "keyword": "退货预警"}).title \
        == "【退货预警】2026-10"
    # a promotion day says what it was judged against; the article's rule says it is the article's
    promo = alerts.format_message([_anomaly(baseline_kind="promotion_prior")], "2026-10", {}).lines[0]
    assert promo.startswith("10-17 全店（大促日，无往期大促可比，已放宽）同龄退款率 45.0%")
    article = alerts.format_message([_anomaly(rule="threshold", drivers={})], "2026-10", {}).lines[0]
    assert article == "10-17 全店退款率 45.0%，前 7 日均值 13.0%，3.5 倍〔文章规则：超均值20%〕"
    more = alerts.format_message([_anomaly(date=f"2026-10-{d:02d}") for d in range(1, 11)], "2026-10",
                                 {"max_items": 3})
    assert len(more.lines) == 4 and more.lines[-1] == "另有 7 条预警，见报告"


def test_bad_template_field_is_a_parameter_error():
    with pytest.raises(alerts.ParameterError, match="alerts.title"):
        alerts.format_message([_anomaly()], "2026-10", {"title": "{store}"})


def test_select_pushes_what_the_monitor_marked_by_date_rule_and_scope():
    found = [_anomaly(), _anomaly(rule="threshold"), _anomaly(rule="event"),
             _anomaly(date="2026-10-18", scope="product", pid="1"),
             _anomaly(date="2026-10-19", status="ongoing", pushed=False)]
    assert [a["rule"] for a in alerts.select(found, {})] == ["cohort", "event", "cohort"]   # not the article's
    assert len(alerts.select(found, {"rules": ["cohort"]})) == 2
    assert len(alerts.select(found, {"scopes": ["shop"]}, "2026-10-17")) == 2
    assert alerts.select(found, {}, "2026-10-19") == []                 # an ongoing day is not news
    # the article's rule is pushed only once the monitor marks it so (article_rule.push)
    assert len(alerts.select([_anomaly(rule="threshold", pushed=True)], {"rules": ["threshold"]})) == 1
    # records written before `pushed` existed count as pushed
    old = {k: v for k, v in _anomaly().items() if k != "pushed"}
    assert alerts.select([old], {}) == [old]


# --------------------------------------------------------------------------------------------
# Configuration and redaction
# --------------------------------------------------------------------------------------------

def test_robots_from_conf_local_and_environment(tmp_path):
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "local").mkdir()
    (conf / "base" / "alerts.yml").write_bytes((Path("conf/base/alerts.yml")).read_bytes())
    (conf / "local" / "alerts.yml").write_text(
        "alerts:\n  robots:\n    dingtalk:\n      webhook: https://oapi.dingtalk.com/robot/send?access_token=from-file\n"
        "      secret: SECfile\n", encoding="utf-8")
    settings = alerts.load_alert_config(conf)
    robots = {r.kind: r for r in alerts.load_robots(settings, env={})}
    assert robots["dingtalk"].webhook.endswith("from-file") and robots["dingtalk"].secret == "SECfile"
    assert robots["feishu"].format == "post" and not robots["feishu"].configured
    env = {"RETURNS_KIT_DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=from-env",
           "RETURNS_KIT_WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    robots = {r.kind: r for r in alerts.load_robots(settings, env=env)}
    assert robots["dingtalk"].webhook.endswith("from-env") and robots["dingtalk"].secret == "SECfile"
    assert robots["wecom"].configured and robots["wecom"].format == "markdown"
    assert "from-env" not in repr(robots["dingtalk"]) and "SECfile" not in repr(robots["dingtalk"])


def test_redaction_shows_only_host_and_masked_token():
    url = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
    assert alerts.redact_url(url) == "oapi.dingtalk.com（令牌 ****6789）"
    assert alerts.redact_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=short") == \
        "qyapi.weixin.qq.com（令牌 ****）"
    assert alerts.redact_url(f"https://open.feishu.cn/open-apis/bot/v2/hook/{FS_ID}") == \
        "open.feishu.cn（令牌 ****cdef）"
    redact = alerts.Redactor([Robot("dingtalk", url, SECRET)])
    text = f"POST {url}&sign=x secret={SECRET} enc={urllib.parse.quote(url, safe='')}"
    assert "SENTINEL" not in redact(text)


# --------------------------------------------------------------------------------------------
# A local server on 127.0.0.1
# --------------------------------------------------------------------------------------------

class _Server:
    """Records every request; answers from a queue of (status, json) per path prefix."""

    def __init__(self):
        self.requests = []
        self.replies = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "body": json.loads(body.decode("utf-8")),
                                       "content_type": self.headers.get("Content-Type")})
                kind = self.path.split("/")[1]
                queue = outer.replies.get(kind) or []
                status, answer = queue.pop(0) if queue else outer.ok(kind)
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def ok(kind):
        if kind == "feishu":
            return 200, {"code": 0, "msg": "success", "data": {}, "StatusCode": 0}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def url(self, kind):
        return {"dingtalk": f"http://127.0.0.1:{self.port}/dingtalk/robot/send?access_token={TOKEN}",
                "feishu": f"http://127.0.0.1:{self.port}/feishu/open-apis/bot/v2/hook/{FS_ID}",
                "wecom": f"http://127.0.0.1:{self.port}/wecom/cgi-bin/webhook/send?key={WC_KEY}"}[kind]

    def env(self):
        return {"RETURNS_KIT_DINGTALK_WEBHOOK": self.url("dingtalk"),
                "RETURNS_KIT_DINGTALK_SECRET": SECRET,
                "RETURNS_KIT_FEISHU_WEBHOOK": self.url("feishu"),
                "RETURNS_KIT_FEISHU_SECRET": SECRET,
                "RETURNS_KIT_WECOM_WEBHOOK": self.url("wecom")}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def conf(tmp_path):
    root = tmp_path / "conf"
    (root / "base").mkdir(parents=True)
    (root / "local").mkdir()
    (root / "base" / "alerts.yml").write_bytes(Path("conf/base/alerts.yml").read_bytes())
    return root


class _Clock:
    def __init__(self, t=1700000000.0):
        self.t = t

    def __call__(self):
        self.t += 1.0
        return self.t


def _run(conf, server, tmp_path, capsys, found, **kw):
    sleeps = []
    code = alerts.run_alerts("2026-10", send_now=True, conf=conf, anomalies=found, env=server.env(),
                             opener=NO_PROXY, sleep=sleeps.append, clock=kw.pop("clock", _Clock()),
                             state_file=tmp_path / "state.json", **kw)
    out, err = capsys.readouterr()
    return code, out, err, sleeps


def _no_secret(*texts):
    for text in texts:
        for s in SENTINELS:
            assert s not in text, s


def test_send_to_three_robots_then_nothing_new(conf, server, tmp_path, capsys):
    found = [_anomaly(), _anomaly(rule="event"), _anomaly(scope="product", pid="1")]
    clock = _Clock(1700000000.0)
    code, out, err, sleeps = _run(conf, server, tmp_path, capsys, found, clock=clock)
    assert code == 0 and sleeps == []
    by_kind = {r["path"].split("/")[1]: r for r in server.requests}
    assert set(by_kind) == {"dingtalk", "feishu", "wecom"} and len(server.requests) == 3
    for r in server.requests:
        assert r["content_type"] == "application/json; charset=utf-8"
    # 钉钉: signature in the query string, for the timestamp it carries
    dq = urllib.parse.parse_qs(urllib.parse.urlsplit(by_kind["dingtalk"]["path"]).query)
    assert dq["access_token"] == [TOKEN]
    ts = int(dq["timestamp"][0])
    assert dq["sign"] == [alerts.dingtalk_sign(SECRET, ts)]
    assert by_kind["dingtalk"]["body"]["msgtype"] == "markdown"
    assert "10-17 全店同龄退款率 45.0%" in by_kind["dingtalk"]["body"]["markdown"]["text"]
    # 飞书: signature in the body
    fb = by_kind["feishu"]["body"]
    assert fb["sign"] == alerts.feishu_sign(SECRET, int(fb["timestamp"])) and fb["msg_type"] == "post"
    assert by_kind["wecom"]["body"]["msgtype"] == "markdown"
    assert "退货预警" in by_kind["wecom"]["body"]["markdown"]["content"]
    assert "已发送 3 条异常" in err
    state = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert set(state["sent"]) == {"dingtalk", "feishu", "wecom"}
    assert set(state["sent"]["wecom"]) == {alerts.anomaly_key(a) for a in found}
    _no_secret(out, err, (tmp_path / "state.json").read_text(encoding="utf-8"))

    # a re-run sends nothing
    code, out, err, _ = _run(conf, server, tmp_path, capsys, found)
    assert code == 0 and len(server.requests) == 3
    assert err.count("没有新的异常，不重复发送") == 3
    # a new anomaly next day: only it is sent
    code, out, err, _ = _run(conf, server, tmp_path, capsys, found + [_anomaly(date="2026-10-18")])
    assert code == 0 and len(server.requests) == 6
    assert all("10-18" in json.dumps(r["body"], ensure_ascii=False) and
               "10-17" not in json.dumps(r["body"], ensure_ascii=False) for r in server.requests[3:])


def test_a_500_is_retried_with_backoff(conf, server, tmp_path, capsys):
    server.replies["wecom"] = [(500, {"errcode": -1})]
    server.replies["dingtalk"] = [(200, {"errcode": 130101, "errmsg": "send too fast"})]
    code, out, err, sleeps = _run(conf, server, tmp_path, capsys, [_anomaly()])
    assert code == 0
    kinds = [r["path"].split("/")[1] for r in server.requests]
    assert kinds.count("wecom") == 2 and kinds.count("dingtalk") == 2 and kinds.count("feishu") == 1
    assert sleeps == [2.0, 2.0]                              # backoff_seconds × 2^0 for each
    assert "HTTP 500，2 秒后重试" in err and "code=130101" in err
    # the retry of a signed robot is signed again with its own timestamp
    dts = [urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)["timestamp"][0]
           for r in server.requests if r["path"].startswith("/dingtalk")]
    assert dts[0] != dts[1]
    _no_secret(out, err)


def test_a_failing_robot_is_reported_retried_boundedly_and_not_marked_sent(conf, server, tmp_path, capsys):
    server.replies["feishu"] = [(502, {})] * 10
    code, out, err, sleeps = _run(conf, server, tmp_path, capsys, [_anomaly()])
    assert code == 1
    assert [r["path"].split("/")[1] for r in server.requests].count("feishu") == 4  # 1 + 3 retries
    assert sleeps == [2.0, 4.0, 8.0]
    assert "飞书 127.0.0.1（令牌 ****cdef）：发送失败（4 次尝试）：HTTP 502" in err
    state = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert "feishu" not in state["sent"] and "wecom" in state["sent"]
    _no_secret(out, err)
    # next run, the robot is back: only the robot that failed gets the message
    server.replies["feishu"] = []
    before = len(server.requests)
    code, out, err, _ = _run(conf, server, tmp_path, capsys, [_anomaly()])
    assert code == 0 and [r["path"].split("/")[1] for r in server.requests[before:]] == ["feishu"]


def test_robot_error_with_http_200_is_a_failure_without_retry(conf, server, tmp_path, capsys):
    server.replies["dingtalk"] = [(200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    server.replies["feishu"] = [(200, {"code": 19021, "msg": "sign match fail"})]
    code, out, err, sleeps = _run(conf, server, tmp_path, capsys, [_anomaly()])
    assert code == 1 and sleeps == []
    assert "code=310000 keywords not in content" in err and "code=19021 sign match fail" in err
    _no_secret(out, err)


def test_unreachable_robot_is_retried_then_reported(conf, tmp_path, capsys):
    import socket

    with socket.socket() as s:          # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"RETURNS_KIT_WECOM_WEBHOOK": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WC_KEY}"}
    sleeps = []
    code = alerts.run_alerts("2026-10", send_now=True, conf=conf, anomalies=[_anomaly()], env=env,
                             opener=NO_PROXY, sleep=sleeps.append, state_file=tmp_path / "s.json")
    out, err = capsys.readouterr()
    assert code == 1 and len(sleeps) == 3 and "网络错误" in err
    _no_secret(out, err)


def test_dry_run_prints_and_sends_nothing(conf, server, tmp_path, capsys):
    code = alerts.run_alerts("2026-10", date="2026-10-17", conf=conf, anomalies=[_anomaly()],
                             env=server.env(), opener=NO_PROXY, state_file=tmp_path / "s.json")
    out, err = capsys.readouterr()
    assert code == 0 and server.requests == []
    assert "（试运行，不发送）2026-10-17 共 1 条异常" in out and "10-17 全店同龄退款率 45.0%" in out
    assert "钉钉 127.0.0.1（令牌 ****6789）" in out
    assert not (tmp_path / "s.json").exists()
    _no_secret(out, err)
    code = alerts.run_alerts("2026-10", date="2026-10-18", conf=conf, anomalies=[_anomaly()],
                             env={}, state_file=tmp_path / "s.json")
    assert code == 0 and "2026-10-18：没有需要推送的异常" in capsys.readouterr().out


def test_send_without_any_robot_is_a_parameter_error(conf, tmp_path):
    with pytest.raises(alerts.ParameterError, match="no robot webhook configured"):
        alerts.run_alerts("2026-10", send_now=True, conf=conf, anomalies=[_anomaly()], env={},
                          state_file=tmp_path / "s.json")
    with pytest.raises(alerts.ParameterError, match="not in --month"):
        alerts.run_alerts("2026-10", date="2026-11-01", conf=conf, anomalies=[], env={})


# --------------------------------------------------------------------------------------------
# The command line on the sample data
# --------------------------------------------------------------------------------------------

def _args(workspace, *more):
    return ["alerts", "--month", "2026-10", "--raw", str(workspace / "raw"),
            "--processed", str(workspace / "processed"), "--external", str(workspace / "external"),
            "--conf", str(workspace / "conf"), *more]


def test_cli_dry_run_on_sample_data(workspace, capsys, monkeypatch):
    for name in alerts.ENV_VARS:
        for var in alerts.ENV_VARS[name]:
            if var:
                monkeypatch.delenv(var, raising=False)
    assert cli.main(_args(workspace, "--date", "2026-10-17")) == 0
    out = capsys.readouterr().out
    assert "（试运行，不发送）2026-10-17" in out and "10-17 全店支付后 10 天内退款率" in out
    assert cli.main(_args(workspace, "--date", "2026-10-10")) == 0     # the planted surge, event clock
    out = capsys.readouterr().out
    assert "10-10 全店售后申请" in out and "20000毫安充电宝" in out
    assert cli.main(_args(workspace, "--date", "2026-10-16")) == 0
    assert "没有需要推送的异常" in capsys.readouterr().out
    assert cli.main(_args(workspace, "--send", "--state", str(workspace / "none.json"))) == 2
    assert "no robot webhook configured" in capsys.readouterr().err


def test_cli_send_on_sample_data_then_rerun_sends_nothing(workspace, server, capsys, monkeypatch, tmp_path):
    for var, value in server.env().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    state = tmp_path / "sent.json"
    assert cli.main(_args(workspace, "--date", "2026-10-17", "--send", "--state", str(state))) == 0
    assert len(server.requests) == 3
    out, err = capsys.readouterr()
    _no_secret(out, err, state.read_text(encoding="utf-8"))
    assert cli.main(_args(workspace, "--date", "2026-10-17", "--send", "--state", str(state))) == 0
    assert len(server.requests) == 3
    server.replies["wecom"] = [(500, {})] * 10
    monkeypatch.setattr(alerts.time, "sleep", lambda s: None)  # keep the back-off instant
    assert cli.main(_args(workspace, "--send", "--state", str(tmp_path / "other.json"))) == 1
    _no_secret(*capsys.readouterr())
