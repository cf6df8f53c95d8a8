// The daemons' bind-address flags.
#include "common/bind_address.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace phalanx {
namespace {

TEST(BindAddressTest, HostPortForms) {
  EXPECT_EQ(ParseBindAddress(":8081").value(), std::make_pair(std::string("0.0.0.0"), 8081));
  EXPECT_EQ(ParseBindAddress("127.0.0.1:0").value(), std::make_pair(std::string("127.0.0.1"), 0));
  EXPECT_EQ(ParseBindAddress("9090").value(), std::make_pair(std::string("0.0.0.0"), 9090));
  EXPECT_EQ(ParseBindAddress("[::1]:8443").value(), std::make_pair(std::string("::1"), 8443));
  EXPECT_FALSE(ParseBindAddress("host:http").ok());
  EXPECT_FALSE(ParseBindAddress(":70000").ok());
  EXPECT_FALSE(ParseBindAddress("").ok());
}

}  // namespace
}  // namespace phalanx
