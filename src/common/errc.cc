// Streams an Errc as its name (see errc.h); kept out of the header so it needs only <iosfwd>.
#include "common/errc.h"

#include <ostream>

namespace x0 {

std::ostream& operator<<(std::ostream& os, Errc code) { return os << errc_name(code); }

}  // namespace x0
