// Text into HTML, as element content or a quoted attribute value: & < > " ' become entities
// and nothing else changes. Shared by the status page (status/page_html.cc) and Telegram's
// parse_mode HTML (notify/telegram.cc, notify/digest.cc), which takes numeric entities too.
#pragma once

#include <string>
#include <string_view>

namespace x0 {

std::string html_escape(std::string_view text);

}  // namespace x0
