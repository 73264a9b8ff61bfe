import * as assert from "assert";
import { editDistance, nearestName } from "../../policies/lib/nearest-name";

describe("policies/lib/nearest-name: did you mean", () => {
    it("counts edits ignoring case, a swap of neighbours as one", () => {
        assert.strictEqual(editDistance("maxInstances", "MAXINSTANCES"), 0);
        assert.strictEqual(editDistance("instanceTyp", "instanceType"), 1);
        assert.strictEqual(editDistance("instnaceType", "instanceType"), 1);
        assert.strictEqual(editDistance("", "abc"), 3);
    });

    it("answers the nearest name within the distance allowed, else nothing", () => {
        const known = ["minInstances", "maxInstances", "instanceType"];
        assert.strictEqual(nearestName("maxInstance", known, 2), "maxInstances");
        assert.strictEqual(nearestName("budget", known, 2), undefined);
        assert.strictEqual(nearestName("maxInstances", [], 2), undefined);
        assert.strictEqual(nearestName("hat", ["cat", "bat"], 1), "cat", "the first of equals");
    });
});
