// lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true functions=update_child
// The bug twin of cxx_heap_reuse_clean: the same two updates on two nodes
// that are both alive, in opposite orders.  A real inversion.
#include <cstdio>
#include <mutex>

struct Node {
	std::mutex lock;
	int value = 0;
};

static void update_child(Node *parent, Node *child)
{
	std::lock_guard<std::mutex> p(parent->lock);
	std::lock_guard<std::mutex> c(child->lock);
	child->value = parent->value + 1;
}

int main()
{
	Node *a = new Node;
	Node *b = new Node;
	update_child(a, b);
	update_child(b, a);
	std::printf("value=%d\n", a->value);
	delete a;
	delete b;
	return 0;
}
