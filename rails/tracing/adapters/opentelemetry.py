"""`{name: OpenTelemetry}`: each traced turn as OpenTelemetry spans.

Like any library, it only uses the OpenTelemetry API (`pip install "dialog-rails[tracing]"`)
and the tracer provider the application configured (`trace.set_tracer_provider(...)` with the
SDK and an exporter of its choice); it never sets up exporters itself. Without a configured
provider the API's no-op tracer drops the spans."""
from __future__ import annotations

from typing import Any, Optional

from rails.errors import ConfigError
from rails.tracing.adapters.base import InteractionLogAdapter

SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"


class OpenTelemetryAdapter(InteractionLogAdapter):
    name = "OpenTelemetry"

    def __init__(self, service_name: str = "dialog-rails", tracer_provider: Any = None,
                 **ignored: Any):
        if ignored:
            # NeMo 0.10-0.14 built its own exporter from these; later releases ignore them.
            import logging

            logging.getLogger("rails.tracing").warning(
                "tracing adapter OpenTelemetry: %s ignored; configure the OpenTelemetry SDK "
                "(tracer provider, exporter, resource) in your application",
                ", ".join(sorted(ignored)))
        try:
            from opentelemetry import trace
        except ImportError as error:
            raise ConfigError(
                "the OpenTelemetry tracing adapter needs the OpenTelemetry API: "
                "pip install \"dialog-rails[tracing]\" (or opentelemetry-api)",
                key="tracing.adapters") from error
        from rails import __version__

        self._trace = trace
        self._kinds = {"server": trace.SpanKind.SERVER, "client": trace.SpanKind.CLIENT,
                       "internal": trace.SpanKind.INTERNAL}
        self.tracer = trace.get_tracer(service_name, __version__, tracer_provider=tracer_provider,
                                       schema_url=SCHEMA_URL)

    def transform(self, interaction_log: Any) -> None:
        trace = self._trace
        made: dict[str, Any] = {}
        for data in interaction_log.trace:  # parents come before their children
            parent = made.get(data.parent_id)
            context: Optional[Any] = trace.set_span_in_context(parent) if parent else None
            span = self.tracer.start_span(data.name, context=context,
                                          kind=self._kinds.get(data.kind),
                                          start_time=_ns(data.start_time),
                                          attributes=data.attributes)
            for event in data.events:
                span.add_event(event["name"], attributes=event.get("attributes"),
                               timestamp=_ns(event["time"]))
            if data.attributes.get("error.type"):
                span.set_status(trace.Status(trace.StatusCode.ERROR))
            made[data.span_id] = span
        for data in reversed(interaction_log.trace):  # children end before their parents
            made[data.span_id].end(end_time=_ns(data.end_time))


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)
