"""`dialog-rails chat`: talk to a rails config in the terminal.

Interactive with line editing and history when stdin is a terminal; one turn per line when
stdin is piped; a single turn with `--message`. Answers go to stdout, everything diagnostic
(`--verbose` reports, errors) to stderr, so the output stays scriptable."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Optional, TextIO

HISTORY_FILE = Path("~/.dialog_rails_history")
PROMPT = "> "
DEBUG_LEVELS = ("WARNING", "INFO", "DEBUG")
# Event fields that identify or repeat rather than describe; left out of the verbose list.
_EVENT_NOISE = frozenset({"uid", "event_created_at", "source_uid", "action_uid", "type",
                          "action_info_modality", "action_info_modality_policy",
                          "is_system_action", "action_finished_at", "action_result_key",
                          "events", "is_success"})
_MAX_VALUE_CHARS = 120


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "chat", help="chat with a rails config in the terminal",
        description="Chat with a rails config. Reads one message per line from stdin when it "
                    "is not a terminal; answers go to stdout, diagnostics to stderr.")
    parser.add_argument("--config", metavar="PATH",
                        help="the config folder (config.yml, .co files, actions), or one "
                             ".yml/.co file of it")
    parser.add_argument("--server-url", metavar="URL",
                        help="chat with a running server (`dialog-rails serve`, or NeMo's) "
                             "instead of loading a config")
    parser.add_argument("--config-id", metavar="ID",
                        help="with --server-url: the server's config to chat with (default: "
                             "the server's default)")
    parser.add_argument("--token", metavar="TOKEN", default=None,
                        help="with --server-url: the server's bearer token (default: "
                             "$DIALOG_RAILS_SERVER_TOKEN)")
    parser.add_argument("--message", metavar="TEXT",
                        help="send this one message, print the answer and exit")
    parser.add_argument("--verbose", action="store_true",
                        help="per turn, print the events, the rails that fired and what they "
                             "decided, the LLM calls and the time spent (to stderr)")
    parser.add_argument("--show-prompts", action="store_true",
                        help="with --verbose, also print each LLM prompt and completion")
    parser.add_argument("--verbose-no-llm", action="store_true",
                        help="--verbose without the LLM prompts and completions (NeMo's flag)")
    parser.add_argument("--debug-level", type=str.upper, choices=DEBUG_LEVELS, metavar="LEVEL",
                        help="verbose, plus the rails' log records from LEVEL up: WARNING, "
                             "INFO or DEBUG (NeMo's levels)")
    parser.add_argument("--streaming", action=argparse.BooleanOptionalAction, default=None,
                        help="print the answer as it is generated (--verbose then reports "
                             "only the time of each turn); on by default with --server-url, "
                             "where --no-streaming asks for whole answers")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.config is None) == (args.server_url is None):
        print("dialog-rails chat: give either --config PATH (chat here) or --server-url URL "
              "(chat with a running server)", file=sys.stderr)
        return 2
    # As in NeMo: --verbose-no-llm and --debug-level imply --verbose, and -no-llm wins over
    # --show-prompts.
    args.show_prompts = args.show_prompts and not args.verbose_no_llm
    verbose = (args.verbose or args.show_prompts or args.verbose_no_llm
               or args.debug_level is not None)
    _quiet_logging(verbose, args.debug_level or "INFO")
    if args.server_url is not None:
        return _run_remote(args, verbose)
    return _run(args, verbose)


def _quiet_logging(verbose: bool, level: str = "INFO") -> None:
    """Without --verbose: warnings as one line each, no tracebacks, and no ERROR records (a
    failed turn's cause is printed once, by the session, from explain()). With it: every
    record of the rails loggers from `level` (INFO, or --debug-level), tracebacks included."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    if verbose:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.setLevel(level)
    else:
        handler.setFormatter(_OneLine("%(message)s"))
        handler.setLevel(logging.WARNING)
        handler.addFilter(lambda record: record.levelno < logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    logging.getLogger("rails").setLevel(level if verbose else logging.WARNING)


class _OneLine:
    def __init__(self, fmt: str):
        import logging

        self._formatter = logging.Formatter(fmt)

    def format(self, record) -> str:
        return self._formatter.formatMessage(record) if record.args is None else \
            record.getMessage()


def _run_remote(args: argparse.Namespace, verbose: bool) -> int:
    from rails.cli.chat_remote import RemoteChatSession
    from rails.server.auth import server_token

    return _chat(RemoteChatSession(args.server_url, args.config_id, server_token(args.token),
                                   verbose=verbose, streaming=args.streaming is not False),
                 args)


def _run(args: argparse.Namespace, verbose: bool) -> int:
    session = _open_session(Path(args.config), verbose, args.show_prompts,
                            bool(args.streaming))
    if session is None:
        return 1
    return _chat(session, args)


def _chat(session: "ChatSession", args: argparse.Namespace) -> int:
    """The chat loop over a session: one --message, a terminal, or piped lines."""
    try:
        if args.message is not None:
            session.can_answer = False
            if session.turn(args.message):
                return 0
            return 130 if session.cancelled else 1  # 130: stopped by Ctrl-C, as shells say
        if sys.stdin.isatty():
            return _interactive(session)
        ok = True
        lines = iter(sys.stdin)
        session.answer_source = lines  # questions read the next line, without a timeout
        for line in lines:
            text = line.rstrip("\r\n")
            if text.strip():
                ok = session.turn(text) and ok
        return 0 if ok else 1
    finally:
        session.close()


def _open_session(path: Path, verbose: bool, show_prompts: bool,
                  streaming: bool) -> Optional["ChatSession"]:
    from rails.errors import RailsError

    if not path.exists():
        print(f"dialog-rails chat: {str(path)!r} does not exist (give a config folder, or a "
              ".yml/.co file)", file=sys.stderr)
        return None
    started = time.perf_counter()
    try:
        from rails import LLMRails, RailsConfig

        rails = LLMRails(RailsConfig.from_path(str(path)))
    except (RailsError, ValueError, OSError) as error:
        # The message already names the file, line and key; a traceback would bury it.
        print(f"dialog-rails chat: {error}", file=sys.stderr)
        if path.is_file() and next(path.parent.rglob("*.co"), None) is not None:
            print(f"hint: only {path.name} was loaded; the .co files next to it are part of a "
                  f"config only when the folder is given: --config {path.parent}",
                  file=sys.stderr)
        return None
    if verbose:
        from rails.index.factory import describe_config_search

        print(f"loaded {path} in {(time.perf_counter() - started) * 1000:.0f} ms",
              file=sys.stderr)
        try:
            index = describe_config_search(rails.config)
        except RailsError as error:
            index = f"cannot be built: {error}"
        print(f"search index: {index}", file=sys.stderr)
    return ChatSession(rails, verbose=verbose, show_prompts=show_prompts, streaming=streaming)


class ChatSession:
    """One conversation: keeps the history and runs each turn on one private event loop, so
    loop-bound resources of the rails (HTTP clients) are reused from turn to turn."""

    def __init__(self, rails: Any, *, verbose: bool = False, show_prompts: bool = False,
                 streaming: bool = False, out: Optional[TextIO] = None,
                 err: Optional[TextIO] = None):
        self.rails, self.verbose, self.show_prompts = rails, verbose, show_prompts
        self.streaming = streaming
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.history: list[dict] = []
        self._loop = asyncio.new_event_loop()
        self.buttons: list[dict] = []     # the choices of the last bot message
        self.answer_source: Any = None    # piped stdin: questions read from it
        self.can_answer = True            # False with --message: nobody is there to answer
        self.cancelled = False            # the last turn was cancelled (Ctrl-C)
        from rails.cli.chat_interaction import ui_event_printer

        self._on_ui_event = ui_event_printer(self.err)

    def turn(self, text: str) -> bool:
        """Answers `text` (or clicks the button it names); False when the turn failed (the
        error is printed)."""
        from rails.cli.chat_interaction import chosen_button

        button = chosen_button(text, self.buttons) if self.buttons else None
        if button is not None:
            return self._run(self._click(button), self.history)
        messages = self.history + [{"role": "user", "content": text}]
        return self._run(self._stream(messages) if self.streaming
                         else self._generate(messages), messages)

    def _run(self, coroutine: Any, messages: list[dict]) -> bool:
        from rails.errors import RailsError

        started = time.perf_counter()
        self.cancelled = False
        task = self._loop.create_task(coroutine)
        try:
            with _interrupt_cancels(self._loop, task):
                answer = self._loop.run_until_complete(task)
        except (KeyboardInterrupt, asyncio.CancelledError):
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    self._loop.run_until_complete(task)
            self.cancelled = True
            print("(turn cancelled)", file=self.err)
            return False
        except BrokenPipeError:
            raise  # the reader is gone (`| head`): handled once, in rails.cli.main
        except (RailsError, ValueError, OSError, asyncio.TimeoutError) as error:
            # Expected faults (a model or server down, a timeout, bad input): the cause, once.
            print(f"error: {type(error).__name__}: {error}", file=self.err)
            return False
        if answer.get("role") == "assistant":
            self.history = messages + [answer]
            self.buttons = list(answer.get("buttons") or [])
            if self.buttons:
                from rails.cli.chat_interaction import print_buttons

                print_buttons(self.buttons, self.out)
            if answer.get("interaction"):
                return self._ask(answer["interaction"])
        failures = self._turn_errors()
        for failure in failures:
            print(f"error: {failure}", file=self.err)
        if failures:
            return False
        if self.verbose:
            print(f"-- turn took {(time.perf_counter() - started) * 1000:.1f} ms",
                  file=self.err)
        return True

    def _ask(self, question: dict) -> bool:
        """Asks the action's question inline and sends the answer (or the timeout)."""
        from rails.cli.chat_interaction import describe_question, parse_answer, read_line

        describe_question(question, self.out)
        if not self.can_answer:
            print("(an action waits for this answer; run `dialog-rails chat` without "
                  "--message to answer it)", file=self.err)
            return True
        deadline = time.monotonic() + float(question.get("timeout_s") or 0)
        while True:
            line = read_line("? ", max(deadline - time.monotonic(), 0), self.answer_source)
            if line is None:
                if time.monotonic() < deadline:  # input ended: nobody will answer
                    return self._run(self._answer(question, None), self.history)
                print("(no answer in time)", file=self.err)
                return self._run(self._expire(question, deadline), self.history)
            understood, value = parse_answer(question, line)
            if understood:
                return self._run(self._answer(question, value), self.history)
            print("please answer y or n", file=self.err)

    async def _click(self, button: dict) -> dict:
        answer = await self.rails.click_async(button["id"], messages=self.history,
                                              on_ui_event=self._on_ui_event)
        self._print_answer(answer)
        return answer

    async def _answer(self, question: dict, value: Any) -> dict:
        answer = await self.rails.answer_async(question["id"], value, cancel=value is None,
                                               on_ui_event=self._on_ui_event)
        self._print_answer(answer)
        return answer

    async def _expire(self, question: dict, deadline: float) -> dict:
        import asyncio as _asyncio

        # The store's clock decides; wait out any difference from ours.
        while time.time() < float(question.get("expires_at") or 0):
            await _asyncio.sleep(0.05)
        for answer in await self.rails.expire_interactions_async():
            self._print_answer(answer)
            return answer
        return {"role": "assistant", "content": ""}
    def _turn_errors(self) -> list[str]:
        """What went wrong in the last turn although it answered (the fallback message was
        given because an action or a call failed), from explain()."""
        explain = getattr(self.rails, "explain", None)
        if explain is None:
            return []
        try:
            errors = getattr(explain(), "errors", None) or []
        except Exception:  # explain() of a custom rails object: nothing to add
            return []
        return list(dict.fromkeys(f"{getattr(error, 'type', 'Error')}: "
                                  f"{getattr(error, 'message', error)}" for error in errors))

    async def _generate(self, messages: list[dict]) -> dict:
        if not self.verbose:
            answer = await self.rails.generate_async(messages=messages,
                                                     on_ui_event=self._on_ui_event)
        else:
            response = await self.rails.generate_async(messages=messages, options={
                "log": {"activated_rails": True, "llm_calls": True, "internal_events": True}},
                on_ui_event=self._on_ui_event)
            answer = response.response[0]
            self.err.write(render_report(response.log, self.show_prompts))
        self._print_answer(answer)
        return answer

    async def _stream(self, messages: list[dict]) -> dict:
        from rails.cli.chat_stream import StreamedAnswer, chunk_error, stream_error

        answer = StreamedAnswer(self.out, self._on_ui_event)
        finished = False
        try:
            async for piece in self.rails.stream_async(messages=messages, ui_events=True):
                if isinstance(piece, dict):  # a UI event
                    answer.ui_event(piece)
                elif chunk_error(piece) is not None:  # an output rail stopped the answer
                    raise stream_error(chunk_error(piece))
                else:
                    answer.text(piece)
            finished = True
        finally:
            answer.close(finished)
        return answer.message()

    def _print_answer(self, answer: dict) -> None:
        content = answer.get("content")
        if answer.get("role") == "exception" and isinstance(content, dict):
            content = f"[{content.get('type', 'exception')}] {content.get('message', '')}"
        if content or not (answer.get("buttons") or answer.get("interaction")):
            print(content, file=self.out, flush=True)

    def close(self) -> None:
        """Closes the rails' pooled connections, then the loop they were bound to."""
        close = getattr(self.rails, "aclose", None)
        try:
            if close is not None:
                self._loop.run_until_complete(close())
        finally:
            self._loop.close()


@contextlib.contextmanager
def _interrupt_cancels(loop: asyncio.AbstractEventLoop, task: "asyncio.Task") -> Iterator[None]:
    """While a turn runs, Ctrl-C cancels its task, so it stops at an await and closes what
    it holds (a server's stream, a model call) instead of being torn at a random line."""
    import signal

    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # no signals here: KeyboardInterrupt
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _interactive(session: ChatSession) -> int:
    history_file = _enable_line_editing()
    try:
        while True:
            try:
                text = input(PROMPT)
            except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C: leave on a fresh line
                print()
                return 0
            if text.strip():
                session.turn(text)
    finally:
        _save_history(history_file)


def _enable_line_editing() -> Optional[Path]:
    """Arrow keys, editing and a persistent history through readline, where available."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        return None
    path = HISTORY_FILE.expanduser()
    readline.set_history_length(1000)
    try:
        readline.read_history_file(str(path))
    except (OSError, ValueError):
        pass  # first run, or an unreadable history: start empty
    return path


def _save_history(path: Optional[Path]) -> None:
    if path is None:
        return
    try:
        import readline

        readline.write_history_file(str(path))
    except (OSError, ValueError) as error:
        print(f"(the chat history was not saved to {path}: {error})", file=sys.stderr)


# -- the verbose report ----------------------------------------------------------------------

def render_report(log: Any, show_prompts: bool) -> str:
    """The events, rails, decisions and LLM calls of one turn, as indented text."""
    if log is None:
        return ""
    return "".join(line + "\n" for line in _report_lines(log, show_prompts))


def _report_lines(log: Any, show_prompts: bool) -> Iterator[str]:
    events = log.internal_events or []
    yield f"-- events ({len(events)})"
    for event in events:
        yield "   " + _event_line(event)
    yield f"-- rails ({len(log.activated_rails)})"
    for rail in log.activated_rails:
        decisions = "; ".join(rail.decisions) or "-"
        stop = "  STOP" if rail.stop else ""
        yield f"   {rail.type:<10} {rail.name}: {decisions}{stop}{_ms(rail.duration)}"
        for action in rail.executed_actions:
            outcome = (f"failed: {action.error}" if action.error
                       else f"-> {_short(action.return_value)}")
            yield f"      action {action.action_name} {outcome}{_ms(action.duration)}"
    calls = log.llm_calls or []
    yield f"-- LLM calls ({len(calls)})"
    for call in calls:
        tokens = f", {call.total_tokens} tokens" if call.total_tokens else ""
        yield f"   {call.task}{_ms(call.duration)}{tokens}"
        if show_prompts:
            yield "      prompt:"
            yield from _indented(call.prompt, "        ")
            yield "      completion:"
            yield from _indented(call.completion, "        ")
    for error in log.errors:
        yield f"-- error {error.type}: {error.message}"
    stats = log.stats
    if stats.total_duration is not None:
        yield (f"-- rails took {stats.total_duration * 1000:.1f} ms; LLM calls "
               f"{(stats.llm_calls_duration or 0) * 1000:.1f} ms")


def _event_line(event: dict) -> str:
    fields = ", ".join(
        f"{key}={_short(value)}" for key, value in event.items()
        if key not in _EVENT_NOISE and not key.startswith("_")
        and value not in (None, {}, [], "") and not (key == "status" and value == "success"))
    return f"{event.get('type')}" + (f" {fields}" if fields else "")


def _indented(text: Optional[str], prefix: str) -> Iterator[str]:
    for line in (text or "").splitlines() or [""]:
        yield prefix + line


def _ms(seconds: Optional[float]) -> str:
    return f"  ({seconds * 1000:.1f} ms)" if seconds is not None else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS - 3] + "..."

