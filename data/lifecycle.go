package data

// DonorFromLiquidation is the donor of the devices bought with the money
// of a liquidation (thanh lý): they enter stock as "Từ thanh lý" ("from
// liquidation"), linked to the sale.
const DonorFromLiquidation = "Từ thanh lý"
