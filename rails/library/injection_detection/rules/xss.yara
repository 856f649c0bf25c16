// Cross-site scripting: markup or markdown that runs script when a page renders it.
rule xss
{
    meta:
        category = "xss"
    strings:
        $script_tag = /<\s*script\b/ nocase
        $event_handler = /<[a-z][^>]*\bon(error|load|click|mouse[a-z]+|focus|blur|submit|toggle)\s*=/ nocase
        $js_url_attribute = /(href|src|action|formaction)\s*=\s*["']?\s*javascript:/ nocase
        $js_url_markdown = /\]\(\s*javascript:/ nocase
        $embedding_tag = /<\s*(iframe|object|embed)\b/ nocase
        $html_data_url = /data:text\/html/ nocase
    condition:
        any of them
}
